package io.nativemem.cli;

import io.nativemem.MemoryStats;
import io.nativemem.NativeMemory;
import io.nativemem.cli.libc.Libc;

import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/** {@code stats} and {@code --help}: what the runtime sees, and how to use the command. */
final class Info {

    private Info() {
    }

    static void help(PrintStream out) {
        out.println("""
                nativemem: zeroed off-heap memory under one process-wide limit

                usage: nativemem [command] [options]

                commands:
                  demo     (the default) confined and shared arenas, GC-managed buffers, an
                           exhausted limit and a mapped file, with the ledger after each step
                           --limit SIZE     the limit for the demo (default 64m)
                  churn    threads allocate buffers and drop them at once, so only the GC frees
                           them: nativemem beside ByteBuffer.allocateDirect under the same limit
                           --impl nativemem|jdk|jdk-ffm|both|all   (default both; all adds
                                  jdk-ffm: the JDK's churn after one FFM downcall, the
                                  full-GC cost every FFM user pays)
                           --limit SIZE     (default 128m)
                           --threads N      (default max(4, 2 x cores))
                           --seconds S      per implementation (default 5)
                           --size SIZE|random   bytes per buffer, or random up to 1 MiB (default 1m)
                  stats    the limit and where it came from, page size, JDK, libc, the ledger

                SIZE is bytes with an optional k, m, g or t suffix: 4096, 64k, 1m, 2g.
                The library reads its limit from -Dnativemem.maxMemory=SIZE (default: the heap maximum).""");
    }

    static void stats(List<String> args, PrintStream out) throws UsageException {
        Options.parse("stats", args, Set.of());
        // The library read the same property at its first allocation, and nothing here changes it.
        String configured = System.getProperty(Main.LIMIT_PROPERTY);
        MemoryStats stats;
        try {
            stats = NativeMemory.stats();
        } catch (IllegalArgumentException malformed) {
            new Table("what", "value")
                    .row("limit", "none: " + malformed.getMessage())
                    .row("effect", "every allocation, NativeMemory.maxMemory() and stats() throw IllegalArgumentException")
                    .print(out);
            return;
        }
        new Table("what", "value")
                .row("limit", stats.maxMemory() + " bytes (" + Table.bytes(stats.maxMemory()) + ")")
                .row("limit from", configured == null
                        ? "Runtime.getRuntime().maxMemory(): " + Main.LIMIT_PROPERTY + " is not set"
                        : "-D" + Main.LIMIT_PROPERTY + "=" + configured)
                .row("page size", Libc.sysconf(Libc._SC_PAGESIZE()) + " bytes")
                .row("JDK", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                        + " (" + System.getProperty("java.home") + ")")
                .row("libc", "glibc " + Libc.gnu_get_libc_version().reinterpret(64).getString(0))
                .row("live blocks", stats.count())
                .row("capacity in use", stats.totalCapacity())
                .row("mappings", stats.mappedCount())
                .print(out);
    }
}
