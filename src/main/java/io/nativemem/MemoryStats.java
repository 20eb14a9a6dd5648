package io.nativemem;

import io.nativemem.internal.Reservations;

/**
 * A snapshot of the native memory ledger, from {@link NativeMemory#stats()}.
 *
 * <p>The capacity, the count and the reserved bytes are read together: the capacity is checked not
 * to have moved while the others were read, so {@code totalCapacity() <= maxMemory()} and
 * {@code reservedMemory() >= totalCapacity()} hold in every snapshot. The event counters (freed,
 * waited, failed) are cumulative since the process started.
 */
public final class MemoryStats {

    private final Reservations.Snapshot snapshot;

    private MemoryStats(Reservations.Snapshot snapshot) {
        this.snapshot = snapshot;
    }

    static MemoryStats of(Reservations.Snapshot snapshot) {
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
     * Bytes reserved for live blocks: their capacity plus any alignment overhead.
     *
     * @return bytes reserved for live blocks: their capacity plus any alignment overhead
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
     * The highest {@link #reservedMemory()} of blocks that libc handed out, since the process
     * started. A reservation that libc then refused never counts, even while other blocks are
     * allocated; so while an allocation waits for libc's answer, {@link #reservedMemory()} (which
     * holds its room under the limit) may briefly exceed this peak.
     *
     * @return the highest {@link #reservedMemory()} of blocks that libc handed out
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
     * Reservations that did not fit at once and took the GC-assisted slow path.
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

    @Override
    public String toString() {
        return "MemoryStats[count=" + count() + " reserved=" + reservedMemory() + " capacity=" + totalCapacity()
                + " max=" + maxMemory() + " peak=" + peakReservedMemory() + " freedByGc=" + freedByGc()
                + " freedExplicitly=" + freedExplicitly() + " waited=" + waitedReservations()
                + " waitedNanos=" + waitedNanos() + " failed=" + failedReservations()
                + " gcRequests=" + gcRequests() + " mappedCount=" + mappedCount()
                + " mappedMemory=" + mappedMemory() + "]";
    }
}
