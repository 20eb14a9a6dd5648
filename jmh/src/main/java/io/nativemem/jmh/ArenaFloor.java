package io.nativemem.jmh;

import io.nativemem.internal.ArenaMemory;
import io.nativemem.internal.Ledger;
import io.nativemem.internal.LibcAllocator;
import io.nativemem.internal.Slabs;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * What any explicit arena of ours pays before it allocates anything, measured without nativemem:
 * its segments' scope is a JDK confined arena's, and a forgotten arena is freed by the GC only if
 * a phantom reference watches that scope. The reference's referent must be on the heap, so the
 * JDK's session escapes (the JDK's own confined arena, which nothing watches, is scalar-replaced
 * and allocates 0 bytes). The ledger's share is measured here too: every block must be charged to
 * it. Compare {@code -prof gc} of these with {@code AllocateFree}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "--enable-native-access=ALL-UNNAMED"})
public class ArenaFloor {

    private static final ReferenceQueue<Object> QUEUE = new ReferenceQueue<>();
    /** One registration list for the process: every thread's compare-and-set hits this line. */
    private static final AtomicReference<Object> GLOBAL_HEAD = new AtomicReference<>();
    /** 16 heads, 128 bytes apart (32 references of 4 bytes), chosen by a hash of the thread id. */
    private static final int STRIPES = 16;
    private static final int SPACING = 32;
    private static final AtomicReferenceArray<Object> STRIPED_HEADS = new AtomicReferenceArray<>(STRIPES * SPACING);

    private Object sink;
    /** A ledger of this benchmark's own, as every block of an arena must be charged to one. */
    private final Ledger ledger = new Ledger(1L << 40, Ledger.Reclaimer.NONE);

    /** A JDK confined arena opened and closed: nothing escapes, so C2 removes the objects. */
    @Benchmark
    public boolean jdkArenaOpenClose() {
        Arena arena = Arena.ofConfined();
        boolean alive = arena.scope().isAlive();
        arena.close();
        return alive;
    }

    /** The same, with the session on the heap (as a phantom reference's referent must be). */
    @Benchmark
    public boolean jdkArenaScopeEscapes() {
        Arena arena = Arena.ofConfined();
        sink = arena.scope();
        arena.close();
        return arena.scope().isAlive();
    }

    /** A phantom reference on the scope, pushed with one compare-and-set, cleared at close. */
    @Benchmark
    public boolean phantomOnScope() {
        return phantom(GLOBAL_HEAD_INDEX);
    }

    @Benchmark
    @Threads(2)
    public boolean phantomOnScopeTwoThreadsOneHead() {
        return phantom(GLOBAL_HEAD_INDEX);
    }

    @Benchmark
    @Threads(2)
    public boolean phantomOnScopeTwoThreadsStriped() {
        long id = Thread.currentThread().threadId();
        return phantom((int) ((id * 0x9E3779B97F4A7C15L) >>> 60) * SPACING);
    }

    /** What the ledger costs a one-block arena: reserve and commit the block, release it at close. */
    @Benchmark
    public long ledgerOneBlock() {
        ledger.reserve(64);
        ledger.commit(64);
        ledger.release(64, 1);
        return 64;
    }

    /** What the ledger costs per block of 100 from one arena: reserve and commit each, one release. */
    @Benchmark
    @OperationsPerInvocation(100)
    public long ledgerPerBlockOf100() {
        for (int i = 0; i < 100; i++) {
            ledger.reserve(64);
            ledger.commit(64);
        }
        ledger.release(6400, 100);
        return 6400;
    }

    /**
     * A one-block arena put together from nativemem's own parts, in the order its pipeline runs
     * them, each step adding one part to the previous: what {@code AllocateFree.nativememConfinedSegment}
     * at 64 B would cost with nothing but these parts. The gap between the last step and that
     * benchmark is the arena's own structure.
     */
    private final ArenaMemory.Origin origin = new ArenaMemory.Origin(ledger, "confined", true, false, null);

    /** Step 1: the JDK confined arena, its scope watched by our record (registered, freed at close). */
    @Benchmark
    public long oneBlockRecord() {
        return ladder(1);
    }

    /** Step 2: and the block charged to the ledger, released with the record. */
    @Benchmark
    public long oneBlockRecordLedger() {
        return ladder(2);
    }

    /** Step 3: and the slab malloc'ed, zeroed and freed at close. */
    @Benchmark
    public long oneBlockRecordLedgerSlab() {
        return ladder(3);
    }

    /** Step 4: and the block wrapped in a segment of the arena's scope, read once. */
    @Benchmark
    public long oneBlockRecordLedgerSlabSegment() {
        return ladder(4);
    }

    /**
     * The first {@code parts} steps of a one-block arena. Each benchmark passes a constant, which
     * C2 folds once this is inlined into it, and runs in a JVM of its own: no step pays for another's
     * branches.
     */
    private long ladder(int parts) {
        Arena arena = Arena.ofConfined();
        ArenaMemory m = ArenaMemory.register(arena.scope(), origin);
        long base = 0;
        long value = 0;
        if (parts >= 2) {
            ledger.reserve(64);
        }
        if (parts >= 3) {
            base = Slabs.allocate(64);
        }
        if (parts >= 2) {
            ledger.commit(64);
            m.countBlock(64);
        }
        if (parts >= 4) {
            value = MemorySegment.ofAddress(base).reinterpret(64, arena, null).get(ValueLayout.JAVA_LONG, 0);
        }
        arena.close();
        if (base != 0) {
            LibcAllocator.freeSmall(base);
        }
        m.runOnClose(arena.scope());
        return value;
    }

    /**
     * Step 5: the same through the record's own carving, the slow path every one-block arena takes,
     * which C2 does not inline ({@code ArenaMemory.carveSlowly}): it registers the record too.
     */
    @Benchmark
    public long oneBlockCarvedByTheRecord() {
        Arena arena = Arena.ofConfined();
        ArenaMemory m = ArenaMemory.carveSlowly(null, origin, arena.scope(), 64, 16, false);
        long value = m.wrapLast(arena, 64).get(ValueLayout.JAVA_LONG, 0);
        arena.close();
        m.runOnClose(arena.scope());
        return value;
    }

    private static final int GLOBAL_HEAD_INDEX = -1;

    private static boolean phantom(int stripe) {
        Arena arena = Arena.ofConfined();
        PhantomReference<Object> ref = new PhantomReference<>(arena.scope(), QUEUE);
        if (stripe == GLOBAL_HEAD_INDEX) {
            Object first = GLOBAL_HEAD.get();
            GLOBAL_HEAD.compareAndSet(first, ref);
        } else {
            Object first = STRIPED_HEADS.get(stripe);
            STRIPED_HEADS.compareAndSet(stripe, first, ref);
        }
        arena.close();
        ref.clear();
        return arena.scope().isAlive();
    }
}
