/* The HTTP ceiling for bench/run: about the least work an HTTP/1.1 keep-alive server can do per
 * request on this machine, so BooksAPI's figures can be quoted as a ratio against it, measured in
 * the same run. It does no parsing beyond finding where each request head ends (CRLF CRLF), and
 * answers every head, pipelined ones included, with one canned JSON response. GET only: a body
 * would be taken for the next request.
 *
 *   cc -O2 -pthread -o ceiling bench/ceiling.c
 *   ./ceiling PORT THREADS BODYFILE
 *
 * One epoll loop per thread, each with its own SO_REUSEPORT socket on 127.0.0.1, as BooksAPI runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { MAX_FDS = 1 << 17, BUFFER = 1 << 16 };

static char answer[1 << 17];
static size_t answer_length;
static int port;
/* Per descriptor: how much of "\r\n\r\n" the bytes read so far end with (0 to 3). */
static unsigned char matched[MAX_FDS];

static int listen_socket(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, 4096) != 0) {
        perror("ceiling: listen");
        exit(1);
    }
    return fd;
}

/* Counts the request heads that end in `bytes`, carrying a partial CRLF CRLF across reads. */
static int heads_ending(int fd, const char *bytes, ssize_t count) {
    static const char terminator[] = "\r\n\r\n";
    int heads = 0, state = matched[fd];
    for (ssize_t i = 0; i < count; i++) {
        if (bytes[i] == terminator[state]) state++;
        else state = bytes[i] == '\r' ? 1 : 0;
        if (state == 4) { heads++; state = 0; }
    }
    matched[fd] = (unsigned char)state;
    return heads;
}

/* Writes `heads` answers; a client that stops reading is dropped (the ceiling never buffers). */
static int answer_all(int fd, int heads) {
    while (heads-- > 0) {
        size_t sent = 0;
        while (sent < answer_length) {
            ssize_t n = send(fd, answer + sent, answer_length - sent, MSG_NOSIGNAL);
            if (n > 0) { sent += (size_t)n; continue; }
            if (n < 0 && errno == EINTR) continue;
            return -1;
        }
    }
    return 0;
}

static void *serve(void *unused) {
    (void)unused;
    int listener = listen_socket(), loop = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event event = {.events = EPOLLIN, .data.fd = listener}, events[256];
    epoll_ctl(loop, EPOLL_CTL_ADD, listener, &event);
    char *buffer = malloc(BUFFER);
    for (;;) {
        int ready = epoll_wait(loop, events, 256, -1);
        for (int i = 0; i < ready; i++) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                int client;
                while ((client = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    if (client >= MAX_FDS) { close(client); continue; }
                    int on = 1;
                    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
                    matched[client] = 0;
                    struct epoll_event watch = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = client};
                    epoll_ctl(loop, EPOLL_CTL_ADD, client, &watch);
                }
                continue;
            }
            for (;;) {
                ssize_t n = recv(fd, buffer, BUFFER, 0);
                if (n > 0) {
                    if (answer_all(fd, heads_ending(fd, buffer, n)) != 0) { close(fd); break; }
                    if (n < BUFFER) break;
                    continue;
                }
                if (n < 0 && errno == EINTR) continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                close(fd);  /* end of file or an error: epoll forgets a closed descriptor */
                break;
            }
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: ceiling PORT THREADS BODYFILE\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    port = atoi(argv[1]);
    int threads = atoi(argv[2]);
    static char body[1 << 16];
    FILE *file = fopen(argv[3], "rb");
    if (!file) { perror("ceiling: body file"); return 1; }
    size_t body_length = fread(body, 1, sizeof body, file);
    fclose(file);
    int head = snprintf(answer, sizeof answer,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n", body_length);
    memcpy(answer + head, body, body_length);
    answer_length = (size_t)head + body_length;
    pthread_t workers[64];
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    for (int i = 0; i < threads; i++) pthread_create(&workers[i], NULL, serve, NULL);
    pthread_join(workers[0], NULL);
    return 0;
}
