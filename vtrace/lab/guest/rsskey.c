/* rsskey: give IFNAME's RSS the hash key KEY (hex) and the default indirection table, as
 * `ethtool -X IFNAME hkey KEY default` does.
 *
 * usage: rsskey IFNAME KEY
 * Linux 6.1's virtio-net fills its RSS table and a random key at probe but tells the device
 * only when ethtool sets them (virtnet_set_rxfh -> virtnet_commit_rss_command): this is that
 * ethtool call, with a key both sides know, so that the host can predict each flow's queue.
 * An indirection table size of 0 asks the kernel for its default: entry i is queue
 * i % (receive queues), ethtool_rxfh_indir_default.
 */
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int rxfh(int sock, const char *name, struct ethtool_rxfh *request)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    ifr.ifr_data = (char *)request;
    return ioctl(sock, SIOCETHTOOL, &ifr);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: rsskey IFNAME KEY\n");
        return 2;
    }
    size_t key_size = strlen(argv[2]) / 2;
    int sock = socket(AF_INET, SOCK_DGRAM, 0);
    struct ethtool_rxfh sizes = {.cmd = ETHTOOL_GRSSH};
    if (sock < 0 || rxfh(sock, argv[1], &sizes) < 0) {
        perror("rsskey: ETHTOOL_GRSSH");
        return 1;
    }
    if (sizes.key_size != key_size) {
        fprintf(stderr, "rsskey: the device's key is %u bytes, not %zu\n", sizes.key_size,
                key_size);
        return 1;
    }
    /* The kernel reads the key after room for the whole table (ethtool_set_rxfh), even
     * when the table is left to its default. */
    struct ethtool_rxfh *request =
        calloc(1, sizeof *request + sizes.indir_size * sizeof(__u32) + key_size);
    if (request == NULL)
        return 1;
    request->cmd = ETHTOOL_SRSSH;
    request->indir_size = 0; /* the default table */
    request->key_size = (__u32)key_size;
    request->hfunc = 0; /* the hash function stays (Toeplitz) */
    unsigned char *key = (unsigned char *)(request->rss_config + sizes.indir_size);
    for (size_t i = 0; i < key_size; i++) {
        unsigned int byte;
        if (sscanf(argv[2] + 2 * i, "%2x", &byte) != 1) {
            fprintf(stderr, "rsskey: the key is not hex\n");
            return 2;
        }
        key[i] = (unsigned char)byte;
    }
    if (rxfh(sock, argv[1], request) < 0) {
        perror("rsskey: ETHTOOL_SRSSH");
        return 1;
    }
    printf("rss key set: %zu bytes, default table of %u entries\n", key_size,
           sizes.indir_size);
    return 0;
}
