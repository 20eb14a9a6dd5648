/* Input header for jextract: what the nativemem command reports about the C library (see jextract.sh). */
#include <unistd.h>
#include <gnu/libc-version.h>
