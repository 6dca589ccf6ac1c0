#define _GNU_SOURCE
#include <sys/socket.h>
#include <stddef.h>
#include "CSystemShims.h"

int shim_accept4(int fd, int flags) { return accept4(fd, NULL, NULL, flags); }
