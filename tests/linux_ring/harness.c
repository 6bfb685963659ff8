/* SPDX-License-Identifier: MIT */
/*
 * Drives Linux's own drivers/virtio/virtio_ring.c, built in userspace with the
 * kernel's tools/virtio shims, from an operation script on stdin, and prints
 * after every operation its result and the CRC-32 of the ring's bytes.
 *
 * The kernel file is included (not linked) so that the harness can read the
 * free list head, which decides where an indirect table goes; it is never
 * shipped with vtrace: tests/test_ring_linux.py unpacks it from Debian's
 * linux-source package and builds this file at test time.
 *
 * First line:  split NUM EVENT_IDX [INDIRECT INDIRECT_BASE INDIRECT_STRIDE]
 *              packed NUM EVENT_IDX INDIRECT INDIRECT_BASE INDIRECT_STRIDE
 * Operations (one a line; every answer line ends with the image's CRC-32):
 *   add TOKEN OUT IN ADDR LEN ...   virtqueue_add_sgs: "ok", "ok table CRC" with the CRC-32
 *                                   of the indirect table it filled, or "full" if it
 *                                   does not fit
 *   kick                            virtqueue_kick_prepare
 *   get                             virtqueue_get_buf
 *   interrupt                       vring_interrupt (the callback does nothing)
 *   disable                         virtqueue_disable_cb
 *   enable                          virtqueue_enable_cb_prepare, then virtqueue_poll
 *   delayed                         virtqueue_enable_cb_delayed
 *   poke OFFSET HEX ...             the device writes bytes into the ring
 *   cycle N LEN                     split only: N times add one buffer, the device uses
 *                                   it (used entry and used->idx), get_buf
 *   dump                            the whole image in hex
 * The image is the ring as the device sees it: for split, vring_size() bytes;
 * for packed, the descriptor ring, the driver area and the device area. In both an
 * indirect table's address is given as INDIRECT_BASE + head * STRIDE (the split
 * ring's head descriptor, the packed ring's buffer id; Linux writes a table once,
 * when it adds the chain: "add" answers with its CRC-32).
 */
#define data_race(expr) (expr)
#include "virtio_ring.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *__kmalloc_fake, *__kfree_ignore_start, *__kfree_ignore_end;

#define MAX_SG 64

static struct virtqueue *vq;
static struct virtio_device vdev;
static int packed;
static unsigned int num;
static unsigned char *split_ring;
static size_t split_size;
static unsigned char *arena;
static unsigned long long indirect_base, indirect_stride;
static unsigned char *image;
static size_t image_size;

static bool notify(struct virtqueue *q)
{
	(void)q;
	return true;
}

static void callback(struct virtqueue *q)
{
	(void)q;
}

static unsigned int crc32(const unsigned char *p, size_t n)
{
	static unsigned int table[256];
	unsigned int crc = 0xffffffffu;
	size_t i;

	if (!table[1]) {
		for (i = 0; i < 256; i++) {
			unsigned int c = i;
			int k;

			for (k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	}
	for (i = 0; i < n; i++)
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return crc ^ 0xffffffffu;
}

static void build_image(void)
{
	struct vring_virtqueue *v = to_vvq(vq);
	unsigned int i;

	if (!packed) {
		memcpy(image, split_ring, split_size);
	} else {
		memcpy(image, v->packed.vring.desc, 16 * num);
		memcpy(image + 16 * num, v->packed.vring.driver, 4);
		memcpy(image + 16 * num + 4, v->packed.vring.device, 4);
	}
	for (i = 0; arena && i < num; i++) {
		unsigned long long addr;

		memcpy(&addr, image + 16 * i, 8);
		if (addr >= (unsigned long)arena &&
		    addr < (unsigned long)arena + num * indirect_stride) {
			addr = addr - (unsigned long)arena + indirect_base;
			memcpy(image + 16 * i, &addr, 8);
		}
	}
}

static void answer(const char *result)
{
	build_image();
	printf("%s %08x\n", result, crc32(image, image_size));
}

static void setup(char *line)
{
	char kind[8];
	int event = 0, indirect = 0;

	if (sscanf(line, "%7s %u %d %d %llx %llu", kind, &num, &event, &indirect,
		   &indirect_base, &indirect_stride) < 3) {
		fprintf(stderr, "bad first line\n");
		exit(2);
	}
	packed = !strcmp(kind, "packed");
	INIT_LIST_HEAD(&vdev.vqs);
	spin_lock_init(&vdev.vqs_list_lock);
	vdev.features = 1ULL << VIRTIO_F_VERSION_1;
	if (event)
		vdev.features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (indirect)
		vdev.features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (packed) {
		struct vring_virtqueue *v;

		vdev.features |= 1ULL << VIRTIO_F_RING_PACKED;
		vq = vring_create_virtqueue(0, num, 64, &vdev, true, false, false,
					    notify, callback, "harness");
		if (!vq) {
			fprintf(stderr, "vring_create_virtqueue failed\n");
			exit(2);
		}
		v = to_vvq(vq);
		/* The kernel allocates these with __GFP_ZERO; the shim's kmalloc ignores it. */
		memset(v->packed.vring.desc, 0, 16 * num);
		memset(v->packed.vring.driver, 0, 4);
		memset(v->packed.vring.device, 0, 4);
		image_size = 16 * num + 8;
	} else {
		split_size = vring_size(num, 64);
		split_ring = aligned_alloc(4096, (split_size + 4095) & ~4095UL);
		memset(split_ring, 0, split_size);
		vq = vring_new_virtqueue(0, num, 64, &vdev, true, false, split_ring,
					 notify, callback, "harness");
		if (!vq) {
			fprintf(stderr, "vring_new_virtqueue failed\n");
			exit(2);
		}
		image_size = split_size;
	}
	if (indirect_stride) {
		/* Indirect tables come from here (see add), so kfree must leave them. */
		arena = calloc(num, indirect_stride);
		__kfree_ignore_start = arena;
		__kfree_ignore_end = arena + num * indirect_stride;
	}
	image = malloc(image_size);
}

static void add(char *args)
{
	struct scatterlist sg[MAX_SG], *sgs[MAX_SG];
	unsigned char *table;
	char result[32];
	unsigned long token;
	unsigned int out, in, total, i, needed;
	int used, err;
	char *p = args;

	if (sscanf(p, "%lu %u %u%n", &token, &out, &in, &used) < 3 || out + in > MAX_SG ||
	    out + in == 0) {
		fprintf(stderr, "bad add\n");
		exit(2);
	}
	p += used;
	total = out + in;
	for (i = 0; i < total; i++) {
		unsigned long long addr;
		unsigned int len;

		if (sscanf(p, "%llx %u%n", &addr, &len, &used) < 2) {
			fprintf(stderr, "bad add buffer\n");
			exit(2);
		}
		p += used;
		sg_init_one(&sg[i], (void *)(unsigned long)addr, len);
		sgs[i] = &sg[i];
	}
	needed = virtqueue_use_indirect(to_vvq(vq), total) ? 1 : total;
	if (vq->num_free < needed) {
		answer("full");
		return;
	}
	table = arena + to_vvq(vq)->free_head * indirect_stride;
	if (needed == 1 && total > 1)
		__kmalloc_fake = table;
	err = virtqueue_add_sgs(vq, sgs, out, in, (void *)token, GFP_ATOMIC);
	__kmalloc_fake = NULL;
	if (err) {
		fprintf(stderr, "virtqueue_add_sgs: %d\n", err);
		exit(3);
	}
	if (needed == 1 && total > 1) {
		snprintf(result, sizeof(result), "ok table %08x", crc32(table, 16 * total));
		answer(result);
	} else {
		answer("ok");
	}
}

static unsigned char *device_byte(unsigned long offset)
{
	struct vring_virtqueue *v = to_vvq(vq);

	if (!packed && offset < split_size)
		return split_ring + offset;
	if (packed && offset < 16 * num)
		return (unsigned char *)v->packed.vring.desc + offset;
	if (packed && offset < 16 * num + 4)
		return (unsigned char *)v->packed.vring.driver + offset - 16 * num;
	if (packed && offset < 16 * num + 8)
		return (unsigned char *)v->packed.vring.device + offset - 16 * num - 4;
	fprintf(stderr, "poke outside the ring: %lu\n", offset);
	exit(2);
}

/* poke OFFSET HEX [OFFSET HEX ...]: what the device wrote in one step. */
static void poke(char *args)
{
	char *p = args;
	unsigned long offset;
	int used;

	while (sscanf(p, "%lu %n", &offset, &used) == 1) {
		unsigned int byte;

		p += used;
		for (; sscanf(p, "%2x", &byte) == 1 && p[0] != ' '; p += 2, offset++)
			*device_byte(offset) = byte;
		while (*p == ' ')
			p++;
	}
	answer("-");
}

static void cycle(char *args)
{
	struct vring_virtqueue *v = to_vvq(vq);
	unsigned long n, k;
	unsigned int len, got;
	struct scatterlist sg;

	if (packed || sscanf(args, "%lu %u", &n, &len) < 2) {
		fprintf(stderr, "bad cycle\n");
		exit(2);
	}
	for (k = 0; k < n; k++) {
		u16 slot, used_idx;

		sg_init_one(&sg, (void *)0x100000UL, len);
		if (virtqueue_add_outbuf(vq, &sg, 1, (void *)1UL, GFP_ATOMIC))
			exit(3);
		slot = (v->split.avail_idx_shadow - 1) & (num - 1);
		used_idx = v->split.vring.used->idx;
		v->split.vring.used->ring[used_idx & (num - 1)].id = v->split.vring.avail->ring[slot];
		v->split.vring.used->ring[used_idx & (num - 1)].len = len;
		v->split.vring.used->idx = used_idx + 1;
		if (!virtqueue_get_buf(vq, &got))
			exit(3);
	}
	v->num_added = 0;
	answer("-");
}

int main(void)
{
	static char line[1 << 16];
	char result[64];
	size_t i;

	if (!fgets(line, sizeof(line), stdin))
		return 2;
	setup(line);
	while (fgets(line, sizeof(line), stdin)) {
		char *args = strchr(line, ' ');

		args = args ? args + 1 : line + strlen(line);
		if (!strncmp(line, "add ", 4)) {
			add(args);
		} else if (!strncmp(line, "kick", 4)) {
			answer(virtqueue_kick_prepare(vq) ? "kick" : "nokick");
		} else if (!strncmp(line, "get", 3)) {
			unsigned int len;
			void *token = virtqueue_get_buf(vq, &len);

			if (token)
				snprintf(result, sizeof(result), "buf %lu %u",
					 (unsigned long)token, len);
			else
				snprintf(result, sizeof(result), "none");
			answer(result);
		} else if (!strncmp(line, "interrupt", 9)) {
			answer(vring_interrupt(0, vq) == IRQ_HANDLED ? "irq handled" : "irq none");
		} else if (!strncmp(line, "disable", 7)) {
			virtqueue_disable_cb(vq);
			answer("-");
		} else if (!strncmp(line, "enable", 6)) {
			unsigned int opaque = virtqueue_enable_cb_prepare(vq);

			snprintf(result, sizeof(result), "enable %u %d", opaque,
				 virtqueue_poll(vq, opaque));
			answer(result);
		} else if (!strncmp(line, "delayed", 7)) {
			answer(virtqueue_enable_cb_delayed(vq) ? "delayed 1" : "delayed 0");
		} else if (!strncmp(line, "poke ", 5)) {
			poke(args);
		} else if (!strncmp(line, "cycle ", 6)) {
			cycle(args);
		} else if (!strncmp(line, "dump", 4)) {
			build_image();
			for (i = 0; i < image_size; i++)
				printf("%02x", image[i]);
			printf("\n");
		} else {
			fprintf(stderr, "unknown operation: %s", line);
			return 2;
		}
		fflush(stdout);
	}
	return 0;
}
