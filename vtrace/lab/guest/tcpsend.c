/* tcpsend: write COUNT blocks "vtrace seq=N" (padded to SIZE bytes) on one TCP connection to
 * HOST:PORT, after WARMUP bytes that open the congestion window.
 *
 * usage: tcpsend HOST PORT COUNT SIZE GAP_MS WARMUP
 * The warm-up goes before the trace window: a fresh connection's window (ten segments) would
 * cut a 64 KiB write into several smaller GSO packets. Once every warm-up byte is acked the
 * helper switches the guest's tracing on itself. Each block is one write(), bracketed by
 * trace_marker lines; the next one waits until the host has acked it (SIOCOUTQ is 0), so each
 * block leaves as GSO packets of its own. TCP_NODELAY: no Nagle delay on a block's tail.
 * After the last block a child keeps the connection open until the guest powers off: a FIN
 * would put one more packet in the transmit ring before the host reads it.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE 65483 /* one IPv4 packet of 65,535 bytes less its IP and TCP headers */

static int marker = -1;

static void mark(const char *what, long seq)
{
    char line[64];
    int n = snprintf(line, sizeof line, "app write() %s seq=%ld\n", what, seq);
    if (marker >= 0 && write(marker, line, (size_t)n) < 0)
        return;
}

static void pause_ms(long ms)
{
    struct timespec gap = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&gap, NULL);
}

static int write_all(int sock, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t sent = write(sock, data, len);
        if (sent < 0)
            return -1;
        data += sent;
        len -= (size_t)sent;
    }
    return 0;
}

/* Until the host has acked every byte written (or 10 s have gone). */
static void wait_acked(int sock)
{
    for (int tries = 0; tries < 10000; tries++) {
        int queued = 0;
        if (ioctl(sock, SIOCOUTQ, &queued) < 0 || queued == 0)
            return;
        pause_ms(1);
    }
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: tcpsend HOST PORT COUNT SIZE GAP_MS WARMUP\n");
        return 2;
    }
    long count = atol(argv[3]), size = atol(argv[4]), gap = atol(argv[5]);
    long warmup = atol(argv[6]);
    struct sockaddr_in host = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &host.sin_addr) != 1 || size < 16 || size > MAX_SIZE) {
        fprintf(stderr, "tcpsend: bad address or size\n");
        return 2;
    }
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    int on = 1;
    if (sock < 0 || setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) < 0 ||
        connect(sock, (struct sockaddr *)&host, sizeof host) < 0) {
        perror("tcpsend: socket");
        return 1;
    }
    static char block[MAX_SIZE];
    memset(block, '.', sizeof block);
    for (long left = warmup; left > 0; left -= MAX_SIZE) {
        if (write_all(sock, block, (size_t)(left < MAX_SIZE ? left : MAX_SIZE)) < 0) {
            perror("tcpsend: warm-up");
            return 1;
        }
    }
    wait_acked(sock);
    int tracing = open("/sys/kernel/tracing/tracing_on", O_WRONLY);
    if (tracing < 0 || write(tracing, "1\n", 2) != 2) {
        perror("tcpsend: tracing_on");
        return 1;
    }
    close(tracing);
    marker = open("/sys/kernel/tracing/trace_marker", O_WRONLY);
    for (long seq = 1; seq <= count; seq++) {
        memset(block, '.', sizeof block);
        int n = snprintf(block, sizeof block, "vtrace seq=%ld ", seq);
        block[n] = '.';
        mark("begin", seq);
        int failed = write_all(sock, block, (size_t)size);
        mark("end", seq);
        if (failed < 0) {
            perror("tcpsend: write");
            return 1;
        }
        wait_acked(sock);
        if (seq < count)
            pause_ms(gap);
    }
    pid_t child = fork();
    if (child == 0) {
        for (;;)
            pause();
    }
    return child < 0 ? 1 : 0;
}
