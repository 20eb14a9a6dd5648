package io.nativemem.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * What an arena must free, and the cleanup that frees it: its slabs (the malloc'ed chunks its small
 * blocks are carved from), its large blocks and its file mappings. Freed all at once, exactly once:
 * when the arena is closed, or when the GC found its scope unreachable (an automatic arena's
 * normal end; for a confined or shared arena, a leak, reported by {@link LeakDetection}).
 *
 * <p>An arena registers one only when it first allocates or maps: an arena that never does
 * registers nothing. The record is one object, the phantom reference itself, 88 bytes of heap: the
 * reference's own 28, the cleanup's state and list link, the carving state (the current slab's
 * address, its free range and the bytes in it that hold no block), the blocks' count and bytes,
 * the {@link Origin} (shared by every untraced arena of a kind) and a link to the rest: retired
 * slabs, large blocks and mappings, in a {@code long[]} allocated when the first of them arrives.
 * With the JDK session it watches (56 bytes, which must then live on the heap), a one-block arena
 * costs these 144 bytes of heap when the JIT inlines the allocation into its caller (measured,
 * JMH {@code -prof gc}, 64 B).
 *
 * <p>The record carves the blocks too ({@link #tryCarve}, {@link #carveSlowly}): the arena's
 * slow path is then a static method that is never given the arena, which can then stay off the
 * heap. Blocks are counted here and not by slab: the ledger releases exactly the blocks' bytes
 * and count, and a leak report names them.
 *
 * <p>Threads: the owner of a confined arena is the only one to record anything, and the reclaimer
 * reads the record only after the GC found the arena unreachable, when the owner can no longer
 * touch it (the GC's safepoint orders the owner's last writes before the reclaimer's reads). A
 * concurrent arena records under this object's monitor, and {@link #free} takes it too.
 */
public final class ArenaMemory extends Cleanup {

    /**
     * What freeing an arena's memory and reporting its leak need to know besides the memory: the
     * ledger its blocks are charged to, its kind, whether it was meant to be closed, whether several
     * threads record into it, and, for a traced arena, where it was created.
     */
    public record Origin(Ledger ledger, String kind, boolean explicit, boolean concurrent, Throwable createdAt) {
    }

    // more[USED]: how many longs of the array are in use; more[CHARGED]: the overhead charged to the
    // ledger for retired slabs; then (address, size, span) triples from FIRST_ENTRY on.
    private static final int USED = 0;
    private static final int CHARGED = 1;
    private static final int FIRST_ENTRY = 2;
    private static final int FIELDS = 3;

    private final Origin origin;
    // The current slab: its address (0 before the first) and its free range: the next block
    // starts at top, aligned up, and must end by end. Before the first slab and once the arena
    // closed, end is -1 and nothing fits. The carving state lives here and not in the arena so that
    // the arena's slow path can be a static method: an arena passed to a call the JIT does not
    // inline goes to the heap, and this record is on the heap anyway (the GC tracks it). No
    // segment of the slab is kept here: it would keep the scope this record watches reachable.
    private long slab;
    private long top;
    private long end = -1;
    // Bytes of the current slab that hold no block: padding, and blocks that never reached a user.
    private long waste;
    private long bytes;
    private int blocks;
    // Retired slabs and large blocks (span 0: freed with free(address, size)) and mappings (span > 0:
    // size is the length the mapping exposes, span the length to munmap).
    private long[] more;

    private ArenaMemory(Object scope, Origin origin) {
        super(scope, origin.ledger().reclaimQueue());
        this.origin = origin;
    }

    /**
     * Registers the record of an arena whose segments live in {@code scope}; it frees them once the
     * scope is unreachable, unless the arena's {@code close()} did first ({@link #runOnClose}).
     *
     * @param scope what the GC watches; must not reference this record
     */
    public static ArenaMemory register(Object scope, Origin origin) {
        return new ArenaMemory(scope, origin);
    }

    /** The address of the slab blocks are carved from now; 0 before the first. */
    public long slab() {
        return slab;
    }

    /**
     * The hot path of carving: a block of {@code size} bytes from the current slab, with credit
     * that the ledger's stripe already holds, so reserved and committed in one step. Returns
     * whether it did, the block then being the last one ({@link #wrapLast}); {@code false} (no
     * slab yet, no room left, a closed arena, no credit) having changed nothing. The caller checked
     * the size and the alignment.
     *
     * @param alignment the block's alignment, at least {@link Slabs#MIN_ALIGNMENT}
     */
    public boolean tryCarve(long size, long alignment) {
        long address = (top + alignment - 1) & -alignment;
        if (address + size > end || !origin.ledger().tryReserveFromCredit(size)) {
            return false;
        }
        waste += address - top;
        top = address + size;
        return true;
    }

    /**
     * The slow path of every carve (the hot one is {@link #tryCarve}): carves a block of
     * {@code size} bytes from the current slab of {@code m}, or from a new one when it does not
     * fit, and commits it. It refuses a closed arena. Unless {@code reserved}, for the owner of a
     * confined arena, it then registers the record if the arena has none yet ({@code m} null: its
     * first block) and reserves the block; a concurrent arena did both itself, outside the
     * record's monitor, under which it calls this, and the reservation is cancelled if the arena
     * closed meanwhile. If a new slab cannot be had, the reservation is cancelled.
     *
     * @param origin the record's origin, if {@code m} is null
     * @param scope the scope of the arena: the record watches it
     * @return the record, the block just carved being its last one ({@link #wrapLast})
     * @throws OutOfMemoryError when libc has no memory for a new slab
     * @implNote One method of more than 325 bytes of bytecode ({@code FreqInlineSize}) on purpose,
     *     which C2 then never inlines, however hot: in an arena of one block every block takes
     *     this path, and when it was inlined into the arena's {@code allocate}, that method compiled
     *     to 6 kB, too large for its callers to inline ({@code InlineSmallCode}, 2,500 bytes), and
     *     the arena, its receiver, went to the heap. Static, and never given the arena, so that the
     *     arena may stay off the heap when its caller inlines {@code allocate} and {@code close()}.
     *     {@code ArenaMemoryTest} checks the size.
     */
    public static ArenaMemory carveSlowly(ArenaMemory m, Origin origin, MemorySegment.Scope scope, long size,
                                          long requestedAlignment, boolean reserved) {
        if (!reserved) {
            if (!scope.isAlive()) {
                throw Errors.arenaClosed((m != null ? m.origin : origin).kind());
            }
            if (m == null) {
                m = new ArenaMemory(scope, origin);
            }
            m.origin.ledger().reserve(size);
        } else if (!scope.isAlive()) { // closed by another thread since the caller reserved
            m.origin.ledger().cancel(size);
            throw Errors.arenaClosed(m.origin.kind());
        }
        Ledger ledger = m.origin.ledger();
        long alignment = Math.max(requestedAlignment, Slabs.MIN_ALIGNMENT);
        long address = (m.top + alignment - 1) & -alignment;
        if (address + size > m.end) { // no slab yet, or the block does not fit in what is left of it
            long current = m.slab == 0 ? 0 : m.end - m.slab;
            long slabSize = Slabs.nextSize(current, size, alignment);
            long base = 0;
            try {
                base = Slabs.allocate(slabSize);
                if (base != 0) {
                    if (m.slab != 0) {
                        // The current slab is kept for freeing, and what holds no block in it
                        // (padding and the unused end) is charged as overhead: once per slab.
                        m.append(m.slab, current, 0);
                        long slack = m.end - m.top + m.waste;
                        if (slack > 0) {
                            m.more[CHARGED] += slack;
                            ledger.addOverhead(slack);
                        }
                    }
                    m.slab = base; // last: once recorded, the slab is freed with the arena
                }
            } catch (Throwable e) { // the heap had no room to record the slab
                LibcAllocator.freeSmall(base);
                ledger.cancel(size);
                throw e;
            }
            if (base == 0) {
                ledger.cancel(size);
                ledger.recordRefusedByLibc(size);
                throw Errors.slabAllocationFailed(slabSize, size, requestedAlignment);
            }
            m.top = base;
            m.end = base + slabSize;
            m.waste = 0;
            address = (base + alignment - 1) & -alignment;
        }
        m.waste += address - m.top;
        m.top = address + size;
        ledger.commit(size);
        return m;
    }

    /**
     * The block carved last, of {@code size} bytes, as a segment of {@code scope}, counted. If the
     * heap has no room for the segment, the block stays unused in the slab and its reservation
     * returns to the ledger. The restricted {@code reinterpret} runs for every block: a slice of a
     * segment of the slab would be as cheap, but that segment would have to be kept, here (where
     * it would keep the watched scope reachable) or in the arena (which then must stay on the heap).
     */
    public MemorySegment wrapLast(Arena scope, long size) {
        MemorySegment segment;
        try {
            segment = MemorySegment.ofAddress(top - size).reinterpret(size, scope, null);
            Faults.check(Faults.Point.WRAP);
        } catch (Throwable e) {
            waste += size;
            origin.ledger().discard(size);
            throw e;
        }
        countBlock(size);
        return segment;
    }

    /** From now on nothing fits: the arena closed, and {@link #tryCarve} must send it to its slow path. */
    public void stopCarving() {
        end = -1;
    }

    /** The end of the current slab's free range; -1 before the first slab and once closed. For tests. */
    public long slabEnd() {
        return end;
    }

    /** Counts a block of {@code size} bytes carved from a slab, committed in the ledger. */
    public void countBlock(long size) {
        blocks++;
        bytes += size;
    }

    /** Records and counts a block of its own, malloc'ed and committed in the ledger. */
    public void addBlock(long address, long size) {
        append(address, size, 0);
        countBlock(size);
    }

    /** Records a file mapping of {@code span} bytes at {@code base} that exposes {@code length}. */
    public void addMapping(long base, long span, long length) {
        append(base, length, span);
    }

    private void append(long address, long size, long span) {
        long[] entries = more;
        if (entries == null) {
            entries = more = new long[FIRST_ENTRY + 2 * FIELDS];
            entries[USED] = FIRST_ENTRY;
        }
        int at = (int) entries[USED];
        if (at + FIELDS > entries.length) {
            entries = more = Arrays.copyOf(entries, 2 * at);
        }
        entries[at] = address;
        entries[at + 1] = size;
        entries[at + 2] = span;
        entries[USED] = at + FIELDS;
    }

    /** How many blocks the arena holds now. */
    public int count() {
        if (origin.concurrent()) {
            synchronized (this) {
                return blocks;
            }
        }
        return blocks;
    }

    /** How many bytes of capacity the arena's blocks hold now. */
    public long bytes() {
        if (origin.concurrent()) {
            synchronized (this) {
                return bytes;
            }
        }
        return bytes;
    }

    /**
     * Frees every slab and block and unmaps every mapping, then returns the blocks' reservations
     * to the ledger in one step, and the overhead of the retired slabs in another. A failing
     * {@code munmap} does not stop the others from being freed.
     */
    @Override
    protected long free(boolean byGc) {
        RuntimeException failure;
        if (origin.concurrent()) {
            synchronized (this) { // waits for a thread recording a block right now
                failure = freeRecorded();
            }
        } else {
            failure = freeRecorded();
        }
        // Once freed nothing is recorded any more (the arena checks its scope, closed before this
        // runs): the fields are final from here.
        Ledger ledger = origin.ledger();
        if (more != null && more[CHARGED] > 0) {
            ledger.addOverhead(-more[CHARGED]);
        }
        if (blocks > 0) {
            ledger.release(bytes, blocks);
        }
        if (byGc) {
            ledger.recordFreedByGc(blocks);
            if (origin.explicit() && LeakDetection.enabled()) {
                LeakDetection.report(origin.kind(), blocks, bytes, origin.createdAt());
            }
        }
        if (failure != null) {
            throw failure;
        }
        return bytes;
    }

    /** Frees the memory; returns the last failure of {@code munmap}, if any. */
    private RuntimeException freeRecorded() {
        RuntimeException failure = null;
        if (slab != 0) {
            LibcAllocator.freeSmall(slab);
        }
        long[] entries = more;
        if (entries != null) {
            for (int i = FIRST_ENTRY; i < entries[USED]; i += FIELDS) {
                if (entries[i + 2] == 0) {
                    LibcAllocator.free(entries[i], entries[i + 1]);
                } else {
                    try {
                        FileMapper.unmap(entries[i], entries[i + 2], entries[i + 1]);
                    } catch (RuntimeException e) {
                        failure = e;
                    }
                }
            }
        }
        return failure;
    }
}
