package io.nativemem.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * GC-managed blocks that share one JDK shared arena, so that closing them costs one handshake
 * with every thread for the whole cohort instead of one per block.
 *
 * <p>A GC-managed block starts in the confined arena of the thread that allocated it (one per
 * thread), and is freed from there with no handshake at all; it joins a cohort when another
 * thread first uses it ({@code DirectBlock}).
 *
 * <p>Closing a JDK shared arena is a handshake with every thread (measured here: 30 to 235 us),
 * and it was the whole cost of {@code NativeBuffer.close()}. A closed member is refused at once
 * by its buffers (they check a flag of their own, see {@code DirectBlock}), but its memory stays
 * allocated, and counted against the limit, until the cohort's arena is closed: then no thread
 * can be in the middle of an access through any member, and every closed member is freed. That
 * happens
 * <ul>
 *   <li>when the last open member of a sealed cohort is closed, or found unreachable by the GC
 *       (on the thread that closes it, or the reclaimer);</li>
 *   <li>a cohort stops admitting members at {@value #MAX_MEMBERS} members or
 *       {@link #maxBytes} bytes, when the slow path of the ledger needs room ({@link #flush()}),
 *       or when no block was admitted for a while ({@link #flushIfIdle()}): if all its members
 *       are closed by then, it is closed at once;</li>
 *   <li>when a reservation needs room, the slow path <em>evicts</em> every sealed cohort that
 *       holds closed members beside open ones ({@link #flush()}): its arena is closed anyway, the
 *       closed members are freed, and the open ones keep their memory. The first access through
 *       a buffer whose scope died this way fails inside the accessor, which moves the block to a
 *       cohort of its own ({@link #solo}) and tries again. A member of an evicted cohort that is
 *       closed before it moved is freed at once: no access through that scope is possible any
 *       more.</li>
 * </ul>
 * Without eviction, one buffer left open among every few hundred closed ones would hold the whole
 * limit (measured: 4 KiB buffers, one in 100 kept, 64 MiB limit: out of memory after 16,384
 * allocations with 656 KiB in use).
 *
 * <p>Each member is also watched by the GC on its own ({@link Member}, a phantom reference to the
 * block's owner, which every buffer and view of it holds): an unreachable member is freed without
 * any handshake, whatever its cohort mates do. A cohort watched as a whole (its scope) kept every
 * block that became garbage allocated for as long as one mate lived: buffers left to the GC, one
 * in 100 kept, ran out of a 64 MiB limit after 16,384 allocations with 656 KiB in use.
 *
 * <p>A block larger than {@value #SOLO_ABOVE} bytes gets a cohort of its own, closed with it: its
 * handshake is small beside its zeroing, and it pins no other block.
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
     * members, 159 ns with 4096 (the handshake, 30 to 55 us then, is about 10 ns a block), against
     * 114 ns for allocateDirect + invokeCleaner. On a host where the handshake costs 130 to 235 us
     * (issue 13, session 6), 16384 members with 8 MiB: 166 to 221 ns against 80 to 90. A cohort
     * frees its closed blocks in one burst on the thread that closes the last of them.
     */
    static final int MAX_MEMBERS = 16384;
    /**
     * At most this many bytes per cohort, whatever the limit: what closed blocks can hold back
     * until their cohort closes, or a reservation needs the room (then it is evicted, whatever its
     * open members do). 128 blocks of 64 KiB share one handshake. Measured on a host where the
     * handshake costs 130 to 235 us (JMH, allocateDirect + close against allocateDirect + invokeCleaner, same
     * fork, alternated runs): with 2 MiB, 64 KiB 2.61 to 4.47x, 4 KiB 2.15 to 3.88x; with 8 MiB,
     * 64 KiB 1.67 to 2.15x, 4 KiB 1.99 to 3.3x. Larger cohorts also cycle through more memory
     * before a block is reused, so its zeroing meets a colder cache.
     */
    static final long MAX_BYTES = 8L << 20;

    private static final VarHandle HOLDS;

    static {
        try {
            HOLDS = MethodHandles.lookup().findVarHandle(Cohort.class, "holds", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final Object ADMISSION = new Object();
    /** The cohort that admits blocks: written under ADMISSION, read without it by {@link #admit}. */
    private static volatile Cohort current;
    private static long serials; // guarded by ADMISSION
    // What flushIfIdle saw last; a serial, not the cohort, so this holds nothing alive.
    private static long seenSerial = -1; // guarded by ADMISSION
    private static int seenCount; // guarded by ADMISSION
    /**
     * Sealed cohorts that may come to hold closed members beside open ones: what the slow path
     * evicts. Weak: a cohort none of whose blocks is reachable is no longer worth a handshake.
     */
    private static final ArrayList<WeakReference<Cohort>> SEALED = new ArrayList<>(); // guarded by ADMISSION
    private static int pruneAt = 16; // guarded by ADMISSION

    private final Arena arena;
    private final Ledger ledger;
    private final long serial;
    /** Whether this cohort holds one block only: closing it is closing that block. */
    private final boolean solo;
    /** Copies under way that an eviction must not cut ({@link #holdOff()}). */
    @SuppressWarnings("unused") // through HOLDS
    private volatile int holds;
    /** Set before an eviction looks at {@link #holds}; cleared again only if it gives up. */
    private volatile boolean evicting;

    // The members, guarded by this.
    private int count;
    private long bytes;
    /** Members neither closed nor found unreachable. */
    private int open;
    /** Closed members, waiting for the arena to be closed; null until the first. */
    private Member[] closed;
    private int closedCount;
    private boolean sealed;
    /** The arena is being (or was) closed: the closed members are freed by whoever does it. */
    private boolean closing;
    /** The arena was closed while members were open: each is freed when closed or unreachable. */
    private boolean evicted;

    private Cohort(Ledger ledger, boolean solo, long serial) {
        this.ledger = ledger;
        this.solo = solo;
        this.serial = serial;
        this.arena = Arena.ofShared();
    }

    /** The bytes one cohort may hold: 8 MiB or 1/8 of the limit, whichever is smaller. */
    static long maxBytes(Ledger ledger) {
        return Math.min(MAX_BYTES, ledger.limit() / 8);
    }

    /**
     * Admits a block of {@code size} bytes, just allocated, into the current cohort (or a cohort
     * of its own, when it is large). The caller then {@link #watch}es it, or {@link #abandon}s it
     * if it cannot hand it out.
     */
    public static Cohort admit(Ledger ledger, long size) {
        long maxBytes = maxBytes(ledger);
        if (size > SOLO_ABOVE || size > maxBytes) {
            return solo(ledger, size);
        }
        // One lock, the cohort's, on the common path: a cohort sealed meanwhile refuses the block.
        Cohort cohort = current;
        if (cohort != null && cohort.ledger == ledger && cohort.tryAdd(size, maxBytes)) {
            return cohort;
        }
        return admitSlowly(ledger, size, maxBytes);
    }

    private static Cohort admitSlowly(Ledger ledger, long size, long maxBytes) {
        Cohort full = null;
        Cohort cohort;
        synchronized (ADMISSION) {
            cohort = current;
            // A cohort holds the blocks of one ledger (a test's own ledger meets the global one here).
            if (cohort == null || cohort.ledger != ledger || !cohort.tryAdd(size, maxBytes)) {
                if (cohort != null && sealLocked(cohort)) {
                    full = cohort;
                }
                cohort = new Cohort(ledger, false, serials++);
                cohort.tryAdd(size, maxBytes);
                current = cohort;
            }
        }
        if (full != null) {
            full.closeAndFree();
        }
        return cohort;
    }

    /** A sealed cohort for one open block of {@code size} bytes, moving out of {@code evicted}. */
    public static Cohort solo(Cohort evicted, long size) {
        return solo(evicted.ledger, size);
    }

    /** A sealed cohort for one open block of {@code size} bytes. */
    private static Cohort solo(Ledger ledger, long size) {
        Cohort solo = new Cohort(ledger, true, -1);
        synchronized (solo) {
            solo.count = 1;
            solo.open = 1;
            solo.bytes = size;
            solo.sealed = true;
        }
        return solo;
    }

    /** Seals a shared cohort and lists it for eviction; returns whether it is to be closed now. */
    private static boolean sealLocked(Cohort cohort) {
        if (SEALED.size() >= pruneAt) {
            SEALED.removeIf(ref -> evictable(ref) == null);
            pruneAt = Math.max(16, SEALED.size() * 2);
        }
        // Listed even when it closes now: if that close fails, a later slow path tries again.
        SEALED.add(new WeakReference<>(cohort));
        return cohort.seal();
    }

    /** {@return whether this cohort holds one block only} Closing it is closing that block. */
    public boolean solo() {
        return solo;
    }

    /** {@return whether the scope of this cohort is still open} False once evicted or closed. */
    public boolean alive() {
        return arena.scope().isAlive();
    }

    /**
     * Keeps {@code owner} reachable from this cohort's scope, for a cohort of one block only: its
     * segments can then be handed out as they are (a segment keeps its scope reachable, and so
     * the owner that the GC watches). A shared cohort must not: one reachable member would keep
     * all of them.
     */
    public void keepReachable(Object owner) {
        if (!solo) {
            throw new IllegalStateException("Only a cohort of one block may keep its owner reachable");
        }
        MemorySegment.ofAddress(0).reinterpret(0, arena, ignored -> Reference.reachabilityFence(owner));
    }

    /** {@return the scope of this cohort's segments} */
    public MemorySegment.Scope scope() {
        return arena.scope();
    }

    /** The block as a segment whose scope is the cohort's. */
    public MemorySegment segment(long address, long size) {
        return MemorySegment.ofAddress(address).reinterpret(size, arena, null);
    }

    /**
     * Registers a member admitted into this cohort with the GC: once {@code owner} (which every
     * buffer and view of the block holds) is unreachable, the block is freed, whatever its cohort
     * mates do. {@code owner} must not reference the returned member.
     */
    public Member watch(Object owner, long address, long size) {
        return solo ? new SoloMember(owner, ledger, address, size) : new SharedMember(owner, this, address, size);
    }

    /**
     * Admits a block that the GC watched alone through {@code alone} (a block in the scope of the
     * thread that allocated it), now that another thread uses it: the caller then {@link #watch}es
     * it here and retires {@code alone}.
     */
    public static Cohort admit(Member alone) {
        return admit(alone.ledger(), alone.size());
    }

    /**
     * Registers a block that belongs to no cohort (it lives in a confined scope of the thread that
     * allocated it) with the GC: once {@code owner} is unreachable, the block is freed.
     */
    public static Member watchAlone(Object owner, Ledger ledger, long address, long size) {
        return new SoloMember(owner, ledger, address, size);
    }

    /** Undoes {@link #admit} for a block that never reached its user; the caller then discards it. */
    public void abandon(long size) {
        boolean ready;
        synchronized (this) {
            count--;
            open--;
            bytes -= size;
            ready = readyToClose();
        }
        if (ready) {
            closeAndFree();
        }
    }

    /**
     * Counts {@code member} closed; its buffers refuse every access already. When it was the last
     * open member of a sealed cohort, closes the cohort's arena and frees every closed member; in
     * an evicted cohort, frees this member at once.
     */
    public void memberClosed(Member member) {
        boolean ready = false;
        boolean freeNow = false;
        synchronized (this) {
            if (evicted) {
                open--;
                freeNow = true;
            } else {
                if (closed == null) {
                    closed = new Member[Math.min(MAX_MEMBERS, Math.max(16, count))];
                } else if (closedCount == closed.length) {
                    closed = Arrays.copyOf(closed, closedCount * 2);
                }
                closed[closedCount++] = member;
                member.closed = true;
                open--;
                ready = readyToClose();
            }
        }
        if (ready) {
            closeAndFree();
        } else if (freeNow) {
            member.release(); // no access through the dead scope is possible: free it now
        }
    }

    /** Counts an open member found unreachable (freed already by the GC's path). */
    private void memberUnreachable(Member member) {
        boolean ready;
        synchronized (this) {
            if (member.closed || evicted) {
                return; // closed after all, or its cohort's counts no longer matter
            }
            open--;
            ready = readyToClose();
        }
        if (ready) {
            closeAndFree();
        }
    }

    private synchronized boolean tryAdd(long size, long maxBytes) {
        if (sealed || count == MAX_MEMBERS || bytes + size > maxBytes) {
            return false;
        }
        count++;
        open++;
        bytes += size;
        return true;
    }

    /** Seals; returns whether the cohort is now to be closed. */
    private synchronized boolean seal() {
        sealed = true;
        return readyToClose();
    }

    /** Whether the arena is now to be closed: sealed, every member closed or gone, and one closed. */
    private boolean readyToClose() {
        if (sealed && open == 0 && !closing && !evicted) {
            closing = true;
            return closedCount > 0; // with none, no handshake is needed: the arena is garbage
        }
        return false;
    }

    /** Closes the arena, then frees the closed members; returns how many this freed. */
    private int closeAndFree() {
        try {
            arena.close();
        } catch (IllegalStateException e) {
            // An internal view of a member is in use by a channel or a downcall right now (the JDK
            // refuses to close an arena that is acquired): the next slow path tries again, and the
            // GC frees each member once unreachable.
            synchronized (this) {
                closing = false;
            }
            return 0;
        }
        return freeClosed();
    }

    /** After the arena was closed: frees every closed member the GC did not free first. */
    private int freeClosed() {
        Member[] members;
        int n;
        synchronized (this) {
            members = closed;
            n = closedCount;
            closed = null;
            closedCount = 0;
        }
        int freed = 0;
        for (int i = 0; i < n; i++) {
            if (members[i].release()) {
                freed++;
            }
        }
        return freed;
    }

    /**
     * Closes the arena of this sealed cohort while members are still open, and frees the closed
     * ones; the open members keep their memory, and move on their next access. When no member is
     * open any more, this is the usual close.
     *
     * @return how many blocks this freed
     */
    private int evict() {
        synchronized (this) {
            if (solo || !sealed || closing || evicted || closedCount == 0) {
                return 0;
            }
            closing = true;
        }
        evicting = true;
        boolean closedNow = false;
        if (holds == 0) { // a holder increments, then reads evicting: one of the two sees the other
            try {
                arena.close();
                closedNow = true;
            } catch (IllegalStateException e) {
                // A view of a member is in a channel or a downcall right now: the next slow path tries again.
            }
        }
        if (!closedNow) {
            evicting = false;
            boolean ready;
            synchronized (this) {
                closing = false;
                ready = readyToClose(); // the last open member may have closed meanwhile, and left it to us
            }
            return ready ? closeAndFree() : 0;
        }
        synchronized (this) {
            evicted = open > 0;
        }
        return freeClosed();
    }

    /**
     * The cohort that {@code ref} in the list of sealed cohorts names, or null when it is gone or can
     * never be evicted any more: then the list drops it.
     */
    private static Cohort evictable(WeakReference<Cohort> ref) {
        Cohort c = ref.get();
        return c != null && c.mayEvict() ? c : null;
    }

    /** Whether this cohort may still be evicted some day. */
    private synchronized boolean mayEvict() {
        return !solo && !closing && !evicted;
    }

    /** Whether closed members wait here for the arena to be closed. */
    private synchronized boolean holdsClosed() {
        return closedCount > 0 && !closing && !evicted;
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

    /**
     * Stops the current cohort from admitting more blocks, and closes it at once if all of its
     * members are closed; then evicts every sealed cohort that holds closed members (closes its
     * arena even though members are open, see the class comment). The memory they held back
     * returns to the limit. For the slow path of the ledger, which must not give up while closed
     * blocks still count against the limit.
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
                    Cohort c = evictable(i.next());
                    if (c == null) {
                        i.remove();
                    } else if (c.holdsClosed()) {
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
            int count;
            synchronized (cohort) {
                count = cohort.count;
            }
            if (cohort.serial != seenSerial || count != seenCount) {
                seenSerial = cohort.serial;
                seenCount = count;
                return;
            }
        }
        flush(false);
    }

    /**
     * A shared cohort outside the process's admission, for the jcstress tests (public because
     * they live outside this package; the package is not exported): they admit with
     * {@link #stressAdd}, then seal with {@link #stressSeal}.
     */
    public static Cohort stressCohort(Ledger ledger) {
        return new Cohort(ledger, false, -1);
    }

    /** Admits a block of {@code size} bytes into a cohort from {@link #stressCohort}. */
    public boolean stressAdd(long size) {
        return tryAdd(size, Long.MAX_VALUE);
    }

    /** Seals a cohort from {@link #stressCohort}, closing it if every member is closed already. */
    public void stressSeal() {
        if (seal()) {
            closeAndFree();
        }
    }

    /** What the slow path does to a sealed cohort that holds closed members: for the jcstress tests. */
    public int stressEvict() {
        return evict();
    }

    /**
     * One block of a cohort, watched by the GC through its owner: frees it exactly once, when the
     * cohort frees its closed members, when it is closed after an eviction, or when the GC found
     * the owner unreachable, whichever comes first. A member of a shared cohort holds the cohort,
     * to tell it when the GC frees an open member; a member of a cohort of one block holds only
     * the ledger, since that cohort's scope keeps the owner reachable ({@link #keepReachable}) and
     * a reference to it from here would keep the owner reachable forever. Two classes, each with
     * one reference, where one class with both took 8 bytes more per GC-managed buffer.
     */
    public abstract static sealed class Member extends Cleanup permits SharedMember, SoloMember {
        private final long address;
        private final long size;
        /** Counted closed in its cohort (written under the cohort's lock), or closed outside any cohort. */
        volatile boolean closed;
        /**
         * The block may still be accessed through the confined scope of the thread that allocated
         * it, which no other thread can wait for: {@link #release()} then leaves the free to
         * {@link #unpin()}, which that thread calls once out of such accesses (or to the GC, which
         * frees it once the block is unreachable).
         */
        private volatile boolean pinned;
        /** Whatever else had to happen before the free has happened ({@link #release()}). */
        private volatile boolean released;

        private Member(Object owner, Ledger ledger, long address, long size) {
            super(owner, ledger.reclaimQueue());
            this.address = address;
            this.size = size;
        }

        /** {@return the block's address} */
        public long address() {
            return address;
        }

        /** {@return the block's size} */
        public long size() {
            return size;
        }

        abstract Ledger ledger();

        /**
         * Marks the block as still reachable through a confined scope, whose thread no other
         * thread can wait for.
         */
        public void pin() {
            pinned = true;
        }

        /**
         * Frees the block now, unless it is {@link #pin pinned}: then the free waits for
         * {@link #unpin()}. Called once the block's shared scopes can no longer be accessed.
         *
         * @return whether this call freed it
         */
        public boolean release() {
            released = true;
            // Each side writes its flag, then reads the other's: one of the two sees both and frees.
            return !pinned && runExplicitly();
        }

        /**
         * Its thread left the confined scope's accesses to it: frees the block if it was
         * {@link #release released} already.
         */
        public void unpin() {
            pinned = false;
            if (released) {
                runExplicitly();
            }
        }

        /**
         * Counts a block closed outside any cohort, by a thread other than its own, which may
         * still be in an access through the confined scope.
         */
        public void markClosed() {
            closed = true;
        }

        /** The shared cohort to tell when the GC frees this member open, or null. */
        abstract Cohort sharedCohort();

        @Override
        protected long free(boolean byGc) {
            // A member closed by its user and found unreachable before its cohort's handshake
            // counts as freed explicitly.
            boolean leftToGc = byGc && !closed;
            NativeBlocks.free(ledger(), address, size, leftToGc);
            Cohort cohort = sharedCohort();
            if (leftToGc && cohort != null) {
                cohort.memberUnreachable(this);
            }
            Faults.check(Faults.Point.AFTER_FREE);
            return size;
        }
    }

    private static final class SharedMember extends Member {
        private final Cohort cohort;

        SharedMember(Object owner, Cohort cohort, long address, long size) {
            super(owner, cohort.ledger, address, size);
            this.cohort = cohort;
        }

        @Override
        Ledger ledger() {
            return cohort.ledger;
        }

        @Override
        Cohort sharedCohort() {
            return cohort;
        }
    }

    private static final class SoloMember extends Member {
        private final Ledger ledger;

        SoloMember(Object owner, Ledger ledger, long address, long size) {
            super(owner, ledger, address, size);
            this.ledger = ledger;
        }

        @Override
        Ledger ledger() {
            return ledger;
        }

        @Override
        Cohort sharedCohort() {
            return null;
        }
    }
}
