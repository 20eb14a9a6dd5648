package io.nativemem;

import io.nativemem.internal.LeakDetection;
import io.nativemem.internal.Ledger;
import io.nativemem.internal.MappedTally;

import java.util.function.Consumer;

/**
 * The process-wide limit and the ledger's counters.
 *
 * <p>The limit is read once, from the system property {@code nativemem.maxMemory}: bytes with an
 * optional {@code k}/{@code m}/{@code g}/{@code t} suffix in any case, like
 * {@code -XX:MaxDirectMemorySize}. Unset, it is {@code Runtime.getRuntime().maxMemory()}, as in
 * the JDK. Every arena kind and every GC-managed buffer counts against it; mapped files do not.
 */
public final class NativeMemory {

    private NativeMemory() {
    }

    /**
     * The limit on the total capacity of live blocks.
     *
     * <p>{@code -Dnativemem.maxMemory=0} is a limit of zero bytes, as
     * {@code -XX:MaxDirectMemorySize=0} is for the JDK's direct buffers: every allocation of one
     * byte or more throws {@link OutOfMemoryError} at once, without asking for a GC (nothing could
     * make room), while empty allocations succeed; mapped files, which do not count against the
     * limit, still work. A negative value is malformed.
     *
     * @return the limit in bytes
     * @throws IllegalArgumentException naming the property and its value, if it is malformed
     */
    public static long maxMemory() {
        return Ledger.global().limit();
    }

    /**
     * Sets what is told of every leaked arena, besides the warning that is logged through
     * {@code System.Logger} ("io.nativemem"); tests use it to turn a leak into a failure. Called on
     * the thread that freed the arena: the reclaimer, or a thread that needed room.
     *
     * <p>Leak detection is set by {@code -Dnativemem.leakDetection=off|sample|all} (default
     * {@code sample}): {@code off} reports nothing; {@code sample} reports every leak, and where
     * one arena in 256 was created; {@code all} where every arena was created (a stack trace per
     * arena: 0.7 µs each measured with a shallow stack, more with deep ones).
     *
     * @param listener the new listener, or {@code null} for none
     * @return the previous listener, or {@code null}
     */
    public static Consumer<LeakReport> setLeakListener(Consumer<LeakReport> listener) {
        LeakDetection.Listener previous = LeakDetection.setListener(listener == null ? null
                : new ListenerAdapter(listener));
        return previous instanceof ListenerAdapter adapter ? adapter.listener : null;
    }

    private record ListenerAdapter(Consumer<LeakReport> listener) implements LeakDetection.Listener {
        @Override
        public void leaked(String kind, long blocks, long bytes, StackTraceElement[] createdAt) {
            listener.accept(new LeakReport(kind, blocks, bytes, createdAt));
        }
    }

    /**
     * A snapshot of the ledger.
     *
     * @return the counters now
     * @throws IllegalArgumentException naming the property and its value, if the limit is malformed
     */
    public static MemoryStats stats() {
        return MemoryStats.of(Ledger.global().snapshot(MappedTally.count(), MappedTally.bytes()));
    }
}
