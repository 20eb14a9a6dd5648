package io.nativemem;

import io.nativemem.internal.Ledger;

import java.util.Locale;

/**
 * A snapshot of the native memory ledger, from {@link NativeMemory#stats()}.
 *
 * <p>When no allocation or free is under way, every figure is exact. The ledger keeps part of the
 * limit as <em>credit</em>: capacity set aside, in stripes that threads pick by their id, for
 * small blocks (64 KiB and less) to be allocated without touching a counter that every core
 * shares. Credit is free memory, not counted here. A snapshot sums the stripes one after another,
 * so while allocations and frees run on other threads, its capacity and reserved bytes may be off
 * by the credit that moved between a stripe and the rest of the ledger meanwhile: never more than
 * the credit outstanding, which is at most 1/16 of the limit and at most 128 KiB per stripe (4 to
 * 8 stripes per core). Its count may likewise miss, for that moment, a block allocated on one
 * stripe and freed on another. {@code totalCapacity() <= maxMemory()} and
 * {@code reservedMemory() >= totalCapacity()} hold in every snapshot. The event counters (freed,
 * waited, failed) are cumulative since the process started.
 */
public final class MemoryStats {

    private final Ledger.Snapshot snapshot;

    private MemoryStats(Ledger.Snapshot snapshot) {
        this.snapshot = snapshot;
    }

    static MemoryStats of(Ledger.Snapshot snapshot) {
        return new MemoryStats(snapshot);
    }

    /**
     * Live blocks: allocated and not yet freed (mappings not included).
     *
     * @return live blocks: allocated and not yet freed (mappings not included)
     */
    public long count() {
        return snapshot.count();
    }

    /**
     * Bytes the runtime holds for live blocks: their {@linkplain #totalCapacity() capacity}, plus
     * the bytes it holds beyond that capacity, which do not count against the limit.
     *
     * <p>Those are today the slack of arenas' slabs: an explicit or automatic arena carves its
     * small blocks out of slabs it {@code malloc}s, and a slab's bytes that hold no block (alignment
     * padding between blocks, and the end that the next block did not fit in) are added here once
     * per slab, when the arena moves on to its next slab, and subtracted when the arena is freed.
     * The unused end of an arena's current slab is not counted until then: at most 64 KiB per live
     * arena. Blocks of their own (larger blocks, aligned ones from {@code posix_memalign}, GC-managed
     * buffers) hold nothing beyond their capacity. What {@code malloc} itself keeps per chunk is
     * not counted.
     *
     * @return bytes held for live blocks: their capacity plus the slack of retired slabs
     */
    public long reservedMemory() {
        return snapshot.reservedMemory();
    }

    /**
     * The total capacity of live blocks: what the limit bounds.
     *
     * @return the total capacity of live blocks: what the limit bounds
     */
    public long totalCapacity() {
        return snapshot.totalCapacity();
    }

    /**
     * The limit, as {@link NativeMemory#maxMemory()}.
     *
     * @return the limit, as {@link NativeMemory#maxMemory()}
     */
    public long maxMemory() {
        return snapshot.maxMemory();
    }

    /**
     * The highest capacity of blocks that libc handed out, since the process started, as seen at
     * checkpoints: every snapshot, every allocation of a block larger than 64 KiB (or than the
     * ledger's batch of credit, when the limit is small), and every time a stripe of credit is
     * refilled. Between two checkpoints, small blocks can only use up the credit outstanding, so
     * the peak misses at most that much (at most 1/16 of the limit). A large reservation that libc
     * then refused never counts, even while other blocks are allocated; so while an allocation
     * waits for libc's answer, {@link #reservedMemory()} (which holds its room under the limit) may
     * briefly exceed this peak. A small block is counted from its reservation: one that libc
     * refuses (when the process is out of memory) may reach the peak if a checkpoint falls while
     * libc is being asked.
     *
     * @return the highest capacity of blocks that libc handed out, as seen at checkpoints
     */
    public long peakReservedMemory() {
        return snapshot.peakReservedMemory();
    }

    /**
     * Blocks freed by the runtime's cleaner after the GC found them unreachable.
     *
     * @return blocks freed by the runtime's cleaner after the GC found them unreachable
     */
    public long freedByGc() {
        return snapshot.freedByGc();
    }

    /**
     * Blocks freed explicitly, by closing an arena or a buffer.
     *
     * @return blocks freed explicitly, by closing an arena or a buffer
     */
    public long freedExplicitly() {
        return snapshot.freedExplicitly();
    }

    /**
     * Ledger that did not fit at once and took the GC-assisted slow path.
     *
     * @return reservations that did not fit at once and took the GC-assisted slow path
     */
    public long waitedReservations() {
        return snapshot.waitedReservations();
    }

    /**
     * The total time spent in the slow path, in nanoseconds.
     *
     * @return the total time spent in the slow path, in nanoseconds
     */
    public long waitedNanos() {
        return snapshot.waitedNanos();
    }

    /**
     * Allocations that failed with the runtime's {@link OutOfMemoryError}: the limit left no room
     * even after the GC-assisted slow path, or the limit had room and libc had no memory. Counted
     * for every such error that reaches the caller. (An {@code OutOfMemoryError} of the Java heap
     * while a block is being wrapped comes from the JVM, not from a reservation, and is not counted.)
     *
     * @return allocations that failed with the runtime's {@link OutOfMemoryError}
     */
    public long failedReservations() {
        return snapshot.failedReservations();
    }

    /**
     * GCs the slow path requested.
     *
     * @return GCs the slow path requested
     */
    public long gcRequests() {
        return snapshot.gcRequests();
    }

    /**
     * Live file mappings.
     *
     * @return live file mappings
     */
    public long mappedCount() {
        return snapshot.mappedCount();
    }

    /**
     * Bytes of live file mappings (not counted against the limit).
     *
     * @return bytes of live file mappings (not counted against the limit)
     */
    public long mappedMemory() {
        return snapshot.mappedMemory();
    }

    /**
     * The snapshot for a person to read: sizes in binary units with their exact bytes, durations in
     * the unit that suits them, e.g. {@code reserved=1.5 MiB (1572864 B)} and {@code waited=24.37 s}.
     * The accessors give every figure exactly.
     *
     * @return one line with every counter
     */
    @Override
    public String toString() {
        return "MemoryStats[count=" + count() + " reserved=" + bytes(reservedMemory())
                + " capacity=" + bytes(totalCapacity()) + " max=" + bytes(maxMemory())
                + " peak=" + bytes(peakReservedMemory()) + " freedByGc=" + freedByGc()
                + " freedExplicitly=" + freedExplicitly() + " waitedReservations=" + waitedReservations()
                + " waited=" + duration(waitedNanos()) + " failedReservations=" + failedReservations()
                + " gcRequests=" + gcRequests() + " mappedCount=" + mappedCount()
                + " mappedMemory=" + bytes(mappedMemory()) + "]";
    }

    private static final String[] BINARY_UNITS = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    /** {@code 512 B}, {@code 1.5 MiB (1572864 B)}: one decimal, and the exact bytes from 1 KiB on. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        int unit = (63 - Long.numberOfLeadingZeros(n)) / 10 - 1; // 0 for KiB, 1 for MiB, ...
        double value = n / Math.pow(1024, unit + 1);
        if (value >= 1023.95 && unit < BINARY_UNITS.length - 1) { // would print as 1024.0
            unit++;
            value /= 1024;
        }
        return String.format(Locale.ROOT, "%.1f %s (%d B)", value, BINARY_UNITS[unit], n);
    }

    /** {@code 0 s}, {@code 850 ns}, {@code 1.50 µs}, {@code 12.00 ms}, {@code 24.37 s}: two decimals from 1 µs on. */
    static String duration(long nanos) {
        if (nanos == 0) {
            return "0 s";
        }
        if (nanos < 1_000) {
            return nanos + " ns";
        }
        // The thresholds leave out what would print as 1000.00 of the smaller unit.
        if (nanos < 999_995) {
            return String.format(Locale.ROOT, "%.2f µs", nanos / 1e3);
        }
        if (nanos < 999_995_000) {
            return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
        }
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }
}
