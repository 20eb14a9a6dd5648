package io.nativemem.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * GC-managed blocks that share one JDK shared arena, so that closing them costs one handshake
 * with every thread for the whole cohort instead of one per block.
 *
 * <p>Closing a JDK shared arena is a handshake with every thread (measured here: 30 to 55 us),
 * and it was the whole cost of {@code NativeBuffer.close()}. A closed member is refused at once
 * by its buffers (they check a flag of their own, see {@code DirectBlock}), but its memory stays
 * allocated, and counted against the limit, until the cohort's arena is closed: then no thread
 * can be in the middle of an access through any member, and every member is freed. That happens
 * <ul>
 *   <li>when the last member of a sealed cohort is closed (on the thread that closes it);</li>
 *   <li>when the GC finds the cohort's scope unreachable (no member, view or slice of any member
 *       is reachable): its members are freed then, without a handshake;</li>
 *   <li>a cohort stops admitting members at {@value #MAX_MEMBERS} members or
 *       {@link #maxBytes()} bytes, when the slow path of the ledger needs room ({@link #flush()}),
 *       or when no block was admitted for a while ({@link #flushIfIdle()}): if all its members
 *       are closed by then, it is closed at once.</li>
 * </ul>
 * A block larger than {@value #SOLO_ABOVE} bytes gets a cohort of its own, closed with it: its
 * handshake is small beside its zeroing, and it pins no other block.
 *
 * <p>The bound: a member that stays open keeps the closed members of its cohort allocated, at most
 * {@code maxBytes()}, 2 MiB or 1/32 of the limit, whichever is smaller, per such cohort.
 *
 * <p>Why the close runs on the thread that closes the last member: handing it (the handshake, then
 * the frees) to a daemon thread was built and measured (issue 13, README), and made
 * {@code allocateDirect} + {@code close()} slower, 64 KiB 3.0 to 4.1 us becoming 7.2 to 9.5 us; the
 * caller's own CPU time per cycle grew from 2.1 to 5.6 us, also when the other thread ran only the
 * handshake: a handshake run by another thread costs a thread busy in scoped accesses and
 * critical downcalls more than running it itself.
 */
public final class Cohort {

    /** A larger block gets a cohort of its own. */
    public static final long SOLO_ABOVE = 64 * 1024;
    /**
     * The bytes bound the cohort first from 512 bytes a block up; for the smallest blocks this
     * count does. Measured (JMH, 64 B, allocate + close, loaded 2-core machine): 294 ns with 512
     * members, 159 ns with 4096 (the handshake, 30 to 55 us, is then about 10 ns a block), against
     * 114 ns for allocateDirect + invokeCleaner. A cohort of 4096 frees its blocks in one burst on
     * the thread that closes the last of them (tens of microseconds).
     */
    static final int MAX_MEMBERS = 4096;
    /**
     * At most this many bytes per cohort, whatever the limit: what one block that stays open can
     * keep from returning to the limit. 32 blocks of 64 KiB share one handshake (about 1 to 1.7 us
     * each; measured 1.9 to 2.7 us for 64 KiB allocate + close against 1.2 to 1.3 us for
     * allocateDirect + invokeCleaner, in runs of +-50 %).
     */
    static final long MAX_BYTES = 2L << 20;

    private static final Object ADMISSION = new Object();
    private static Cohort current; // guarded by ADMISSION
    private static long serials; // guarded by ADMISSION
    // What flushIfIdle saw last; a serial, not the cohort: a reference would keep its scope reachable.
    private static long seenSerial = -1; // guarded by ADMISSION
    private static int seenCount; // guarded by ADMISSION

    private final Arena arena;
    private final Members members;
    private final long serial;

    private Cohort(Ledger ledger, int slots, long serial) {
        this.serial = serial;
        this.arena = Arena.ofShared();
        this.members = new Members(arena.scope(), ledger, slots);
    }

    /** The bytes one cohort may hold: 2 MiB or 1/32 of the limit, whichever is smaller. */
    static long maxBytes(Ledger ledger) {
        return Math.min(MAX_BYTES, ledger.limit() / 32);
    }

    /**
     * Admits a block, just allocated, into the current cohort (or a cohort of its own, when it is
     * large). The caller must {@link #abandon} it if it cannot hand it out.
     */
    public static Cohort admit(Ledger ledger, long address, long size) {
        long maxBytes = maxBytes(ledger);
        if (size > SOLO_ABOVE || size > maxBytes) {
            Cohort solo = new Cohort(ledger, 1, -1);
            solo.members.add(address, size);
            solo.members.seal();
            return solo;
        }
        Cohort full = null;
        Cohort cohort;
        synchronized (ADMISSION) {
            cohort = current;
            // A cohort holds the blocks of one ledger (a test's own ledger meets the global one here).
            if (cohort == null || cohort.members.ledger != ledger || !cohort.members.tryAdd(address, size, maxBytes)) {
                if (cohort != null && cohort.members.seal()) {
                    full = cohort;
                }
                // As many slots as blocks of this size fit: cohorts tend to hold blocks of one size,
                // and arrays grown by doubling cost 16 bytes of garbage per block.
                int slots = (int) Math.min(MAX_MEMBERS, Math.max(16, maxBytes / Math.max(1, size)));
                cohort = new Cohort(ledger, slots, serials++);
                cohort.members.add(address, size);
                current = cohort;
            }
        }
        if (full != null) {
            full.closeAndFree();
        }
        return cohort;
    }

    /** Whether this cohort holds one block only: closing it is closing that block. */
    public boolean solo() {
        return members.solo;
    }

    /** The block as a segment whose scope is the cohort's. */
    public MemorySegment segment(long address, long size) {
        return MemorySegment.ofAddress(address).reinterpret(size, arena, null);
    }

    /** Undoes {@link #admit} for a block that never reached its user; the caller then discards it. */
    public void abandon(long address) {
        if (members.remove(address)) {
            closeAndFree();
        }
    }

    /**
     * Counts one member closed; its buffers refuse every access already. When it was the last
     * open member of a sealed cohort, closes the cohort's arena and frees every member.
     */
    public void memberClosed() {
        if (members.closeOne()) {
            closeAndFree();
        }
    }

    /** Returns how many blocks this freed. */
    private int closeAndFree() {
        try {
            arena.close();
        } catch (IllegalStateException e) {
            // An internal view of a member is in use by a channel or a downcall right now (the JDK
            // refuses to close an arena that is acquired): the GC frees the cohort once its scope
            // is unreachable.
            return 0;
        }
        return members.runExplicitly() ? members.count() : 0;
    }

    /**
     * Stops the current cohort from admitting more blocks, and closes it at once if all of its
     * members are closed: the memory it held back returns to the limit. For the slow path of the
     * ledger, which must not give up while closed blocks still count against the limit.
     *
     * @return how many blocks this freed
     */
    public static int flush() {
        Cohort cohort;
        synchronized (ADMISSION) {
            cohort = current;
            if (cohort == null) {
                return 0;
            }
            current = null;
            if (!cohort.members.seal()) {
                return 0;
            }
        }
        return cohort.closeAndFree();
    }

    /**
     * {@link #flush()} if no block was admitted since the last call: called by the reclaimer
     * thread a few times a second, so that the closed blocks of a cohort that stopped growing do
     * not wait for a slow path to come back.
     */
    static void flushIfIdle() {
        synchronized (ADMISSION) {
            Cohort cohort = current;
            if (cohort == null) {
                return;
            }
            int count = cohort.members.count();
            if (cohort.serial != seenSerial || count != seenCount) {
                seenSerial = cohort.serial;
                seenCount = count;
                return;
            }
        }
        flush();
    }

    /**
     * The blocks of a cohort and what became of them; frees them all, explicitly once the cohort's
     * arena is closed, or when the GC found its scope unreachable. Must not reference the arena.
     */
    private static final class Members extends Cleanup {
        private long[] addresses;
        private long[] sizes;
        private int count;
        private long bytes;
        private int closed;
        private boolean sealed;
        private boolean freeing;
        final boolean solo;
        final Ledger ledger;

        Members(Object scope, Ledger ledger, int slots) {
            super(scope, ledger.reclaimQueue());
            this.ledger = ledger;
            this.addresses = new long[slots];
            this.sizes = new long[slots];
            this.solo = slots == 1; // a shared cohort starts with 16 slots or more
        }

        synchronized void add(long address, long size) {
            if (count == addresses.length) {
                addresses = Arrays.copyOf(addresses, count * 2);
                sizes = Arrays.copyOf(sizes, count * 2);
            }
            addresses[count] = address;
            sizes[count] = size;
            count++;
            bytes += size;
        }

        synchronized boolean tryAdd(long address, long size, long maxBytes) {
            if (sealed || count == MAX_MEMBERS || bytes + size > maxBytes) {
                return false;
            }
            add(address, size);
            return true;
        }

        synchronized int count() {
            return count;
        }

        /** Seals; returns whether the cohort is now to be closed (every member closed). */
        synchronized boolean seal() {
            sealed = true;
            return readyToFree();
        }

        /** Counts one member closed; returns whether the cohort is now to be closed. */
        synchronized boolean closeOne() {
            closed++;
            return readyToFree();
        }

        synchronized boolean remove(long address) {
            for (int i = 0; i < count; i++) {
                if (addresses[i] == address) {
                    count--;
                    bytes -= sizes[i];
                    addresses[i] = addresses[count];
                    sizes[i] = sizes[count];
                    break;
                }
            }
            return readyToFree();
        }

        private boolean readyToFree() {
            if (sealed && closed == count && !freeing) {
                freeing = true;
                return true;
            }
            return false;
        }

        @Override
        protected synchronized long free(boolean byGc) {
            long freed = 0;
            for (int i = 0; i < count; i++) {
                // The first `closed` blocks count as freed explicitly: only the totals matter.
                NativeBlocks.free(ledger, addresses[i], sizes[i], byGc && i >= closed);
                freed += sizes[i];
            }
            Faults.check(Faults.Point.AFTER_FREE);
            return freed;
        }
    }
}
