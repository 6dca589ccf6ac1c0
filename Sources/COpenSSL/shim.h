// OpenSSL's libcrypto (Debian: libssl-dev, which libmongoc-dev brings), for the feed tokens' HMAC.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
