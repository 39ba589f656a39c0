/*
 * Diagnostic for test/bench/proxy.ts: an LD_PRELOAD shim that sets TCP_NODELAY on every socket a
 * program connects or accepts. tinyproxy 1.11 leaves Nagle on (strace shows no TCP_NODELAY), which
 * costs RestPipe through it a large share of its c=64 rate; this shows how much.
 *
 *   gcc -shared -fPIC -O2 -o /tmp/libnodelay.so test/bench/nodelay-preload.c -ldl
 *   BENCH_TINYPROXY_PRELOAD=/tmp/libnodelay.so bun test/bench/proxy.ts
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
static void nd(int fd) { int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); }
int connect(int fd, const struct sockaddr *a, socklen_t l) { static int (*real)(int, const struct sockaddr *, socklen_t); if (!real) real = dlsym(RTLD_NEXT, "connect"); nd(fd); return real(fd, a, l); }
int accept(int fd, struct sockaddr *a, socklen_t *l) { static int (*real)(int, struct sockaddr *, socklen_t *); if (!real) real = dlsym(RTLD_NEXT, "accept"); int c = real(fd, a, l); if (c >= 0) nd(c); return c; }
int accept4(int fd, struct sockaddr *a, socklen_t *l, int f) { static int (*real)(int, struct sockaddr *, socklen_t *, int); if (!real) real = dlsym(RTLD_NEXT, "accept4"); int c = real(fd, a, l, f); if (c >= 0) nd(c); return c; }
