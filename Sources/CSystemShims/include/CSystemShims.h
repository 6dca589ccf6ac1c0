// Linux APIs that Swift's Glibc module does not import: epoll, eventfd, accept4, memmem.
#ifndef CSYSTEMSHIMS_H
#define CSYSTEMSHIMS_H

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <pthread.h>

// accept4 needs _GNU_SOURCE, which the Glibc module was not built with; shims.c is.
int shim_accept4(int fd, int flags);

// pthread_setname_np, also _GNU_SOURCE only: names a thread for top -H, perf and gdb.
int shim_set_thread_name(pthread_t thread, const char *name);

// memmem, also _GNU_SOURCE only: the embedded store's substring search over its text arena.
void *shim_memmem(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length);

// gettid, _GNU_SOURCE only: the calling thread's id, to renice a work thread alone.
int shim_gettid(void);

#endif
