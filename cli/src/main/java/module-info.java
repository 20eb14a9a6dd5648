/**
 * The {@code nativemem} command: a demo of the library, a GC-managed churn beside
 * {@code ByteBuffer.allocateDirect}, and what the runtime sees. It exports nothing; it requires
 * the library's module, so it can use only what the library exports.
 */
module io.nativemem.cli {
    requires io.nativemem;
    requires java.management;
}
