/**
 * nativemem: zeroed off-heap buffers, explicit and GC-managed arenas and mapped files on the
 * Foreign Function &amp; Memory API, all under one process-wide limit.
 *
 * <p>Only {@code io.nativemem} is exported; the implementation and the jextract-generated libc
 * bindings stay internal. Run with {@code --enable-native-access=io.nativemem}.
 */
module io.nativemem {
    requires java.management;
    requires jdk.jfr;

    exports io.nativemem;
}
