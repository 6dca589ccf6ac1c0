#define _GNU_SOURCE
#include <sys/socket.h>
#include <stddef.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include "CSystemShims.h"

int shim_accept4(int fd, int flags) { return accept4(fd, NULL, NULL, flags); }

int shim_set_thread_name(pthread_t thread, const char *name) { return pthread_setname_np(thread, name); }

void *shim_memmem(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length) {
    return memmem(haystack, haystack_length, needle, needle_length);
}

int shim_gettid(void) { return (int)gettid(); }
