/* udpsend: send COUNT UDP datagrams "vtrace seq=N" (padded to SIZE payload bytes) to HOST:PORT.
 *
 * usage: udpsend HOST PORT FIRST COUNT SIZE GAP_MS [FLOWS]
 * The socket is connect()ed, so each datagram is one write(); a trace_marker line brackets
 * each write() so the guest trace says which seq the kernel events around it belong to.
 * With FLOWS sockets (source ports) seq N goes out on flow (N - 1) % FLOWS (seq 0 on flow 0),
 * written from CPU (N - 1) % FLOWS: XPS (virtnet_set_affinity) gives each CPU its TX queue.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int marker = -1;

static void mark(const char *what, long seq)
{
    char line[64];
    int n = snprintf(line, sizeof line, "app write() %s seq=%ld\n", what, seq);
    /* EBADF while tracing is off (the warm-up datagram): nothing to mark then */
    if (marker >= 0 && write(marker, line, (size_t)n) < 0)
        return;
}

static void pause_ms(long ms)
{
    struct timespec gap = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&gap, NULL);
}

int main(int argc, char **argv)
{
    if (argc != 7 && argc != 8) {
        fprintf(stderr, "usage: udpsend HOST PORT FIRST COUNT SIZE GAP_MS [FLOWS]\n");
        return 2;
    }
    long first = atol(argv[3]), count = atol(argv[4]), size = atol(argv[5]);
    long gap = atol(argv[6]), flows = argc == 8 ? atol(argv[7]) : 1;
    struct sockaddr_in host = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &host.sin_addr) != 1 || size < 1 || size > 1472 ||
        flows < 1 || flows > 8) {
        fprintf(stderr, "udpsend: bad address, size or flows\n");
        return 2;
    }
    int socks[8];
    for (long flow = 0; flow < flows; flow++) {
        socks[flow] = socket(AF_INET, SOCK_DGRAM, 0);
        if (socks[flow] < 0 ||
            connect(socks[flow], (struct sockaddr *)&host, sizeof host) < 0) {
            perror("udpsend: socket");
            return 1;
        }
    }
    marker = open("/sys/kernel/tracing/trace_marker", O_WRONLY);
    char payload[1472];
    for (long seq = first; seq < first + count; seq++) {
        memset(payload, '.', sizeof payload);
        int n = snprintf(payload, sizeof payload, "vtrace seq=%ld", seq);
        size_t len = (size_t)size > (size_t)n ? (size_t)size : (size_t)n;
        if ((size_t)n < len)
            payload[n] = ' ';
        long flow = seq > 0 ? (seq - 1) % flows : 0;
        if (flows > 1) {
            cpu_set_t cpu;
            CPU_ZERO(&cpu);
            CPU_SET((int)flow, &cpu);
            if (sched_setaffinity(0, sizeof cpu, &cpu) < 0) {
                perror("udpsend: sched_setaffinity");
                return 1;
            }
        }
        mark("begin", seq);
        ssize_t sent = write(socks[flow], payload, len);
        mark("end", seq);
        if (sent < 0) {
            perror("udpsend: write");
            return 1;
        }
        if (seq + 1 < first + count)
            pause_ms(gap);
    }
    return 0;
}
