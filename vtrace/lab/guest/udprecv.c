/* udprecv: receive COUNT UDP datagrams on PORT, then exit.
 *
 * usage: udprecv PORT COUNT
 * Once bound it prints "rx ready". After each recv() a trace_marker line names the seq found in
 * the payload ("vtrace seq=N"), and the console gets "rx seq=N".
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: udprecv PORT COUNT\n");
        return 2;
    }
    long count = atol(argv[2]);
    struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                              .sin_addr = {htonl(INADDR_ANY)}};
    int sock = socket(AF_INET, SOCK_DGRAM, 0);
    if (sock < 0 || bind(sock, (struct sockaddr *)&any, sizeof any) < 0) {
        perror("udprecv: socket");
        return 1;
    }
    int marker = open("/sys/kernel/tracing/trace_marker", O_WRONLY);
    printf("rx ready\n"); /* the host sends only after this line reaches the console */
    fflush(stdout);
    char payload[1500];
    for (long got = 0; got < count; got++) {
        ssize_t n = recv(sock, payload, sizeof payload - 1, 0);
        if (n < 0) {
            perror("udprecv: recv");
            return 1;
        }
        payload[n] = '\0';
        long seq = -1;
        const char *at = strstr(payload, "seq=");
        if (at != NULL)
            seq = atol(at + 4);
        char line[64];
        int len = snprintf(line, sizeof line, "app recv() returned seq=%ld\n", seq);
        if (marker >= 0 && write(marker, line, (size_t)len) < 0)
            perror("trace_marker");
        printf("rx seq=%ld\n", seq);
        fflush(stdout);
    }
    return 0;
}
