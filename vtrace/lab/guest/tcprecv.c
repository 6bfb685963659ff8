/* tcprecv: accept one TCP connection on PORT, read WARMUP bytes, then COUNT blocks of SIZE.
 *
 * usage: tcprecv PORT COUNT SIZE WARMUP
 * Once listening it prints "rx ready". The warm-up opens the host's congestion window and
 * settles the receive queue's buffer sizes outside the trace window; once it is read the
 * helper switches the guest's tracing on itself and prints "rx warm", the host's cue to send
 * the blocks. After each whole block a trace_marker line names it ("app recv() returned
 * seq=N") and the console gets "rx seq=N". After the last block a child keeps the
 * connection open until the guest powers off: a FIN would put one more packet in the
 * transmit ring before the host reads it.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_SIZE 65483 /* as tcpsend: one IPv4 packet of 65,535 bytes less its headers */

/* SIZE bytes from the stream (fewer only when it ends or fails); the bytes read. */
static long read_bytes(int sock, char *into, long size, long room)
{
    long got = 0;
    while (got < size) {
        long want = size - got < room ? size - got : room;
        ssize_t n = recv(sock, into, (size_t)want, 0);
        if (n <= 0)
            return got;
        got += n;
    }
    return got;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: tcprecv PORT COUNT SIZE WARMUP\n");
        return 2;
    }
    long count = atol(argv[2]), size = atol(argv[3]), warmup = atol(argv[4]);
    if (size < 16 || size > MAX_SIZE) {
        fprintf(stderr, "tcprecv: bad size\n");
        return 2;
    }
    struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                              .sin_addr = {htonl(INADDR_ANY)}};
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int on = 1;
    if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
        bind(listener, (struct sockaddr *)&any, sizeof any) < 0 || listen(listener, 1) < 0) {
        perror("tcprecv: socket");
        return 1;
    }
    printf("rx ready\n"); /* the host connects only after this line reaches the console */
    fflush(stdout);
    int sock = accept(listener, NULL, NULL);
    if (sock < 0) {
        perror("tcprecv: accept");
        return 1;
    }
    static char block[MAX_SIZE];
    if (read_bytes(sock, block, warmup, sizeof block) != warmup) {
        fprintf(stderr, "tcprecv: the warm-up ended early\n");
        return 1;
    }
    int tracing = open("/sys/kernel/tracing/tracing_on", O_WRONLY);
    if (tracing < 0 || write(tracing, "1\n", 2) != 2) {
        perror("tcprecv: tracing_on");
        return 1;
    }
    close(tracing);
    int marker = open("/sys/kernel/tracing/trace_marker", O_WRONLY);
    printf("rx warm\n");
    fflush(stdout);
    for (long seq = 1; seq <= count; seq++) {
        if (read_bytes(sock, block, size, sizeof block) != size) {
            fprintf(stderr, "tcprecv: the stream ended before block %ld\n", seq);
            return 1;
        }
        char line[64];
        int len = snprintf(line, sizeof line, "app recv() returned seq=%ld\n", seq);
        if (marker >= 0 && write(marker, line, (size_t)len) < 0)
            perror("trace_marker");
        printf("rx seq=%ld\n", seq);
        fflush(stdout);
    }
    pid_t child = fork();
    if (child == 0) {
        for (;;)
            pause();
    }
    return child < 0 ? 1 : 0;
}
