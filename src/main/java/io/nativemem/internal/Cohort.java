package io.nativemem.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

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
 * <p>A member that stays open would keep the closed members of its cohort allocated for as long as
 * it lives: one long-lived buffer among every few hundred short-lived ones would hold the whole
 * limit (measured before eviction existed: 4 KiB buffers, one in 100 kept, 64 MiB limit: out of
 * memory after 16,384 allocations, with 656 KiB in use). So when a reservation needs room, the
 * slow path <em>evicts</em> such cohorts ({@link #flush()}): their arena is closed anyway, with one
 * handshake, the closed members are freed, and the open ones keep their memory, now owned by the
 * old cohort's {@code Members} without a scope; the first access through a buffer whose scope died
 * this way fails inside the accessor, which moves the block to a cohort of its own
 * ({@link #rehome}) and retries. A block of an evicted cohort that is closed before it moved is
 * freed at once: no access through its cohort's scope is possible any more.
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
    /**
     * Sealed cohorts that may come to hold closed members beside open ones: what the slow path
     * evicts. Weak: a cohort none of whose blocks is reachable is the GC's to free.
     */
    private static final ArrayList<WeakReference<Cohort>> SEALED = new ArrayList<>(); // guarded by ADMISSION
    private static int prunedAt = 16; // guarded by ADMISSION
    // What flushIfIdle saw last; a serial, not the cohort: a reference would keep its scope reachable.
    private static long seenSerial = -1; // guarded by ADMISSION
    private static int seenCount; // guarded by ADMISSION

    private static final VarHandle HOLDS;

    static {
        try {
            HOLDS = MethodHandles.lookup().findVarHandle(Cohort.class, "holds", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Arena arena;
    private final Members members;
    private final long serial;
    /** Copies under way that an eviction must not cut ({@link #holdOff()}). */
    @SuppressWarnings("unused") // through HOLDS
    private volatile int holds;
    /** Set before an eviction looks at {@link #holds}, and again cleared only if it gives up. */
    private volatile boolean evicting;

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
            return solo(ledger, address, size);
        }
        Cohort full = null;
        Cohort cohort;
        synchronized (ADMISSION) {
            cohort = current;
            // A cohort holds the blocks of one ledger (a test's own ledger meets the global one here).
            if (cohort == null || cohort.members.ledger != ledger || !cohort.members.tryAdd(address, size, maxBytes)) {
                if (cohort != null && sealLocked(cohort)) {
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

    private static Cohort solo(Ledger ledger, long address, long size) {
        Cohort solo = new Cohort(ledger, 1, -1);
        solo.members.add(address, size);
        solo.members.seal();
        return solo;
    }

    /** Seals a shared cohort and lists it for eviction; returns whether it is to be closed now. */
    private static boolean sealLocked(Cohort cohort) {
        boolean ready = cohort.members.seal();
        if (!ready) {
            if (SEALED.size() >= prunedAt) {
                SEALED.removeIf(ref -> {
                    Cohort c = ref.get();
                    return c == null || !c.members.mayEvict();
                });
                prunedAt = Math.max(16, SEALED.size() * 2);
            }
            SEALED.add(new WeakReference<>(cohort));
        }
        return ready;
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
     * Counts the member at {@code address} closed; its buffers refuse every access already. When
     * it was the last open member of a sealed cohort, closes the cohort's arena and frees every
     * member; when the cohort was evicted, frees this member at once.
     */
    public void memberClosed(long address) {
        if (members.closeOne(address)) {
            closeAndFree();
        }
    }

    /** {@return whether the scope of this cohort is still open} False once evicted (or freed). */
    public boolean alive() {
        return arena.scope().isAlive();
    }

    /**
     * Moves the open block at {@code address} out of this evicted cohort into a cohort of its own,
     * which owns it from then on; the caller (the block, holding its own lock and, through its old
     * segment, this cohort's scope) then points its buffer at the new cohort's segment.
     */
    public Cohort rehome(long address, long size) {
        if (!members.moveOut(address)) {
            throw new IllegalStateException("Block 0x" + Long.toHexString(address) + " is not an open member of an evicted cohort");
        }
        return solo(members.ledger, address, size);
    }

    /**
     * Closes the arena of this sealed cohort while some members are still open, and frees the
     * closed ones; the open members keep their memory, and move on their next access.
     *
     * @return how many blocks this freed
     */
    private int evict() {
        if (!members.startEviction()) {
            return 0;
        }
        evicting = true;
        boolean closed = false;
        if (holds == 0) { // a holder increments, then reads evicting: one of us sees the other
            try {
                arena.close();
                closed = true;
            } catch (IllegalStateException e) {
                // A view of a member is in a channel or a downcall right now: try again next time.
            }
        }
        if (!closed) {
            evicting = false;
            if (members.evictionFailed()) {
                closeAndFree();
            }
            return 0;
        }
        return members.evicted();
    }

    /**
     * Holds off any eviction of this cohort until {@link #letEviction()}, for a copy that must not
     * be cut (it could not be repeated).
     *
     * @return false when an eviction is under way or done: the block must move first
     */
    public boolean holdOff() {
        HOLDS.getAndAdd(this, 1);
        if (!evicting && alive()) {
            return true;
        }
        HOLDS.getAndAdd(this, -1);
        return false;
    }

    /** Ends a {@link #holdOff()}. */
    public void letEviction() {
        HOLDS.getAndAdd(this, -1);
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
     * members are closed; then evicts every sealed cohort that holds closed members beside open
     * ones. The memory they held back returns to the limit. For the slow path of the ledger, which
     * must not give up while closed blocks still count against the limit.
     *
     * @return how many blocks this freed
     */
    public static int flush() {
        return flush(true);
    }

    /** As {@link #flush()}; evicts only when {@code evict}. */
    private static int flush(boolean evict) {
        Cohort cohort;
        boolean ready = false;
        List<Cohort> pinned = new ArrayList<>();
        synchronized (ADMISSION) {
            cohort = current;
            if (cohort != null) {
                current = null;
                ready = sealLocked(cohort);
            }
            if (evict) {
                for (Iterator<WeakReference<Cohort>> i = SEALED.iterator(); i.hasNext(); ) {
                    Cohort c = i.next().get();
                    if (c == null || !c.members.mayEvict()) {
                        i.remove();
                    } else if (c.members.holdsClosed()) {
                        pinned.add(c);
                    }
                }
            }
        }
        int freed = ready ? cohort.closeAndFree() : 0;
        for (Cohort c : pinned) {
            freed += c.evict();
        }
        return freed;
    }

    /**
     * {@link #flush()} if no block was admitted since the last call, without evicting: called by
     * the reclaimer thread a few times a second, so that the closed blocks of a cohort that
     * stopped growing do not wait for a slow path to come back. Eviction waits for a slow path: it
     * turns each open member into a block of its own, whose close is then a handshake of its own.
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
        flush(false);
    }

    /**
     * The blocks of a cohort and what became of them; frees them all, explicitly once the cohort's
     * arena is closed, or when the GC found its scope unreachable. Must not reference the arena.
     *
     * <p>After an eviction it holds only the members that were open then, sorted by address (a
     * close or a move finds them by binary search): each is freed when it is closed, or moves out,
     * or is freed with the rest when the GC finds the old scope unreachable.
     */
    private static final class Members extends Cleanup {
        private long[] addresses;
        /** The size of each slot's block; 0 once it was freed or moved out. */
        private long[] sizes;
        private int count;
        private long bytes;
        /** The members closed so far, until the cohort is closed or evicted; null until the first. */
        private long[] closedAddresses;
        private int closed;
        /** After an eviction: the members not yet freed or moved out. */
        private int left;
        private boolean sealed;
        private boolean freeing;
        private boolean evicting;
        private boolean evicted;
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

        /**
         * Counts the member at {@code address} closed; returns whether the cohort is now to be
         * closed. In an evicted cohort, frees that member instead.
         */
        synchronized boolean closeOne(long address) {
            if (evicted) {
                int i = Arrays.binarySearch(addresses, 0, count, address);
                if (i >= 0 && sizes[i] != 0) {
                    NativeBlocks.free(ledger, address, sizes[i], false);
                    sizes[i] = 0;
                    forget();
                }
                return false;
            }
            if (closedAddresses == null) {
                closedAddresses = new long[addresses.length];
            } else if (closed == closedAddresses.length) {
                closedAddresses = Arrays.copyOf(closedAddresses, closed * 2);
            }
            closedAddresses[closed++] = address;
            return readyToFree();
        }

        /** Forgets one block of an evicted cohort; once none is left, this cleanup is done. */
        private void forget() {
            if (--left == 0) {
                runExplicitly(); // frees nothing more; lets the reclaim queue forget this cohort
            }
        }

        synchronized boolean remove(long address) {
            if (evicted) {
                int i = Arrays.binarySearch(addresses, 0, count, address);
                if (i >= 0 && sizes[i] != 0) {
                    sizes[i] = 0;
                    forget();
                }
                return false;
            }
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
            if (sealed && closed == count && !freeing && !evicting && !evicted) {
                freeing = true;
                return true;
            }
            return false;
        }

        /** Whether this cohort may still be evicted some day; if not, the list of sealed cohorts drops it. */
        synchronized boolean mayEvict() {
            return !solo && !freeing && !evicted && !isDone();
        }

        /** Whether closed members wait here beside open ones. */
        synchronized boolean holdsClosed() {
            return closed > 0 && closed < count;
        }

        /** Claims the eviction; false when the cohort is not (or no longer) one to evict. */
        synchronized boolean startEviction() {
            if (solo || !sealed || freeing || evicting || evicted || isDone() || closed == 0 || closed == count) {
                return false;
            }
            evicting = true;
            return true;
        }

        /** The arena could not be closed; returns whether the cohort is now to be closed as usual. */
        synchronized boolean evictionFailed() {
            evicting = false;
            notifyAll();
            return readyToFree();
        }

        /**
         * The arena is closed: no access through the cohort's scope is possible any more. Frees
         * the closed members and keeps the open ones, sorted by address.
         *
         * @return how many blocks this freed
         */
        synchronized int evicted() {
            long[] closedSorted = Arrays.copyOf(closedAddresses, closed);
            Arrays.sort(closedSorted);
            Integer[] open = new Integer[count - closed];
            int kept = 0;
            int freed = 0;
            for (int i = 0; i < count; i++) {
                if (Arrays.binarySearch(closedSorted, addresses[i]) >= 0) {
                    NativeBlocks.free(ledger, addresses[i], sizes[i], false);
                    freed++;
                } else {
                    open[kept++] = i;
                }
            }
            Arrays.sort(open, 0, kept, (a, b) -> Long.compare(addresses[a], addresses[b]));
            long[] keptAddresses = new long[kept];
            long[] keptSizes = new long[kept];
            for (int k = 0; k < kept; k++) {
                keptAddresses[k] = addresses[open[k]];
                keptSizes[k] = sizes[open[k]];
            }
            addresses = keptAddresses;
            sizes = keptSizes;
            count = kept;
            left = kept;
            closed = 0;
            closedAddresses = null;
            evicting = false;
            evicted = true;
            notifyAll(); // blocks that found the scope closed wait in moveOut
            if (kept == 0) {
                runExplicitly();
            }
            return freed;
        }

        /** Hands the open block at {@code address} of an evicted cohort over to its new owner. */
        synchronized boolean moveOut(long address) {
            // The scope is closed before the closed members are freed: a block may come in between.
            boolean interrupted = false;
            while (evicting) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (!evicted) {
                return false;
            }
            int i = Arrays.binarySearch(addresses, 0, count, address);
            if (i < 0 || sizes[i] == 0) {
                return false;
            }
            sizes[i] = 0;
            forget();
            return true;
        }

        @Override
        protected synchronized long free(boolean byGc) {
            long freed = 0;
            int explicit = closed; // the closed ones count as freed explicitly: only the totals matter
            for (int i = 0; i < count; i++) {
                if (sizes[i] != 0) {
                    NativeBlocks.free(ledger, addresses[i], sizes[i], byGc && explicit-- <= 0);
                    freed += sizes[i];
                    sizes[i] = 0;
                }
            }
            Faults.check(Faults.Point.AFTER_FREE);
            return freed;
        }
    }
}
