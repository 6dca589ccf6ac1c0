// The MongoDB C driver's headers, for MongoBridge only (Debian: libmongoc-dev, libbson-dev).
#include <mongoc/mongoc.h>
