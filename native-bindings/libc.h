/* Input header for jextract: libc symbols used by io.nativemem (see jextract.sh). */
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
