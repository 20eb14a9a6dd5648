package io.nativemem.internal;

import java.util.Arrays;

/**
 * What an arena must free, and the cleanup that frees it: its slabs (the malloc'ed chunks its small
 * blocks are carved from), its large blocks and its file mappings. Freed all at once, exactly once:
 * when the arena is closed, or when the GC found its scope unreachable (an automatic arena's
 * normal end; for a confined or shared arena, a leak, reported by {@link LeakDetection}).
 *
 * <p>An arena registers one only when it first allocates or maps: an arena that never does
 * registers nothing. The record is one object, the phantom reference itself, 64 bytes of heap: the
 * reference's own 28, the cleanup's state and list link, the current slab's address, the blocks'
 * count and bytes, the {@link Origin} (shared by every untraced arena of a kind) and a link to the
 * rest: retired slabs, large blocks and mappings, in a {@code long[]} allocated when the first of
 * them arrives. With the JDK session it watches (56 bytes, which must then live on the heap), a
 * one-block arena costs 120 bytes of heap when the JIT inlines the allocation into its caller.
 *
 * <p>A block carved from a slab is counted ({@link #countBlock}); the carving itself, the slab's
 * free range, belongs to the arena. Blocks are counted here and not by slab: the ledger releases
 * exactly the blocks' bytes and count, and a leak report names them.
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
    private long slab;
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
     * Makes the slab at {@code address}, just allocated and zeroed, the one blocks are carved from.
     * The previous one, if any, is kept for freeing, and its {@code slack} (bytes that hold no
     * block: padding and the unused end) is charged to the ledger as overhead: once per slab.
     */
    public void openSlab(long address, long previousSize, long slack) {
        if (slab != 0) {
            append(slab, previousSize, 0);
            if (slack > 0) {
                more[CHARGED] += slack;
                origin.ledger().addOverhead(slack);
            }
        }
        slab = address;
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
