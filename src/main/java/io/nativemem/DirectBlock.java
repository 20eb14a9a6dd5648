package io.nativemem;

import io.nativemem.internal.Cohort;
import io.nativemem.internal.Errors;
import io.nativemem.internal.Faults;
import io.nativemem.internal.Ledger;
import io.nativemem.internal.NativeBlocks;
import io.nativemem.internal.ReclaimQueue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.lang.ref.WeakReference;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The owner of one GC-managed block ({@link NativeBuffer#allocateDirect}), shared by the buffer
 * and all its views.
 *
 * <p>A block starts in the JDK confined arena of the thread that allocated it (its
 * {@link Confinement}; one arena for all the thread's blocks, never closed): as long as only that
 * thread uses it, {@link #closeBuffer()} on that thread frees it at once, with no handshake (no
 * other thread can be in an access through a confined segment, and this thread is in
 * {@code close()}); later accesses through the first buffer, the only one on that scope, fail on
 * its emptied cursor ({@link NativeBuffer#empty}). Measured (JMH, allocateDirect + close, two
 * alternated forks each, 64 B / 4 KiB / 64 KiB): 70-76 / 117-153 / 896-910 ns, against 74-85 /
 * 146-169 / 851-884 with a confined arena per block (80 bytes of heap more per buffer),
 * 178-193 / 385-657 / 3,313-4,598 when every block lived in a shared cohort, and 62-68 /
 * 178-196 / 1,679-1,976 for {@code ByteBuffer.allocateDirect} + {@code invokeCleaner}.
 *
 * <p>The first access from another thread fails on the confined scope ({@link WrongThreadException},
 * caught in the accessor as any refused access is) and moves the block to a {@link Cohort}
 * ({@link #rehome}): its segment's scope is then the cohort's JDK shared arena, closed with one
 * handshake once every member of the cohort is closed, and the access is tried again. The
 * allocating thread may still be in the middle of an access through the confined segment (a loop
 * that read it before the move), which no handshake of the cohort waits for, so the memory is not
 * freed until that thread has left it: the mover hands the block to it ({@link Confinement#hand}),
 * and at its next {@code allocateDirect} or {@code close()} the thread settles it
 * ({@link #closeConfined}: the first buffer leaves the confined scope); if it ended, nothing is
 * left to wait for; if it never comes back, the GC frees the block once it is unreachable. A block
 * closed by another thread before anything moved it is handed over the same way.
 *
 * <p>So that a closed block is refused at once, every buffer of the block checks {@link #closed}
 * before each access. The segments and {@code ByteBuffer}s handed to the user
 * ({@link NativeBuffer#segment()}, {@link NativeBuffer#asByteBuffer()}) cannot check our flag, and
 * must work on any thread: they get a JDK shared arena of the block's own, created on the first
 * such call and closed by {@link #closeBuffer()}, so only buffers whose memory was viewed that way
 * pay its handshake (a block alone in its cohort needs none: its cohort is closed with it).
 *
 * <p>When the cohort is evicted while this block is open (its scope closed so that the closed
 * blocks beside it can be freed), the block moves to a cohort of its own ({@link #rehome}) the
 * first time an access through its first buffer fails on the dead scope; the buffer then works on
 * the new scope and the access is tried again.
 */
final class DirectBlock implements BlockOwner {

    private static final VarHandle CLOSED;

    static {
        try {
            CLOSED = MethodHandles.lookup().findVarHandle(DirectBlock.class, "closed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Set once, with a volatile write, by {@link #closeBuffer()}; read plainly by the accessors so
     * that the JIT may hoist the check out of a loop, as it does a JDK scope's. An access that
     * happens after the close (same thread, or one that synchronized with it) is refused at once;
     * a racing one, such as a loop already running on another thread, may go on, on memory that
     * stays allocated until the scope it works on is closed (the cohort's, with a handshake, or
     * the confined one, by its thread), after which every access fails. A read the JIT cannot
     * hoist (opaque) stopped such a loop within 0.2 ms, but made accessor loops 16 to 36 times
     * slower (getLong(i) over 64 KiB: 11.4 us against 0.7 us).
     */
    boolean closed;
    /** The thread that allocated the block, whose confined scope was the block's first. */
    private final Confinement home;
    /**
     * That thread's confined arena ({@link Confinement#arena}), as long as the thread may be in an
     * access through it to this block: until the thread closed or moved the block itself, or
     * acknowledged a move or a close by another thread ({@link #closeConfined}). Null after that.
     */
    private Arena confined; // guarded by this
    /** The block's cohort, once another thread used it; replaced by a cohort of its own when evicted. */
    private Cohort cohort; // guarded by this
    /** The block as the GC watches it; set by {@link #allocate} before the block is shared. */
    private Cohort.Member member;
    /** The block in a scope of its own, for views handed out; created on demand. */
    private Exposed exposed; // guarded by this
    /**
     * The buffer {@code allocateDirect} returned, the only one made on the confined scope (its
     * slices, duplicates and the views handed out live in {@link #exposed}, or in the cohort's
     * scope): emptied when the block is closed, and moved off the confined scope by its thread
     * once another thread moved the block. Set before the block is shared. Emptying it rather
     * than checking the closed flag spares its element accesses that check, which C2 does not
     * hoist out of a loop of relative accesses (getLong() until the limit over 64 KiB: 7.8 us with
     * the check, 5.3 us without, 4.9 us for a DirectByteBuffer).
     */
    private NativeBuffer root;

    /** The views handed out and their arena: apart, so that a block whose views nobody asks for stays small. */
    private record Exposed(Arena arena, MemorySegment block) {
    }

    private DirectBlock(Confinement home) {
        this.home = home;
        this.confined = home.arena;
    }

    /** A GC-managed block charged to the process-wide ledger, in a buffer. */
    static NativeBuffer allocate(long capacity, long alignment) {
        return allocate(Ledger.global(), capacity, alignment);
    }

    /** A GC-managed block charged to {@code ledger}, in a buffer, in the confined scope of this thread. */
    static NativeBuffer allocate(Ledger ledger, long capacity, long alignment) {
        return allocate(ledger, capacity, alignment, capacity <= Integer.MAX_VALUE);
    }

    /** With {@code viewed} false, a small block's buffer takes the path of those past 2 GiB: for tests. */
    static NativeBuffer allocate(Ledger ledger, long capacity, long alignment, boolean viewed) {
        Confinement here = Confinement.current(); // first settles what other threads handed back
        long address = NativeBlocks.allocate(ledger, capacity, alignment);
        try {
            MemorySegment segment = MemorySegment.ofAddress(address).reinterpret(capacity, here.arena, null);
            Faults.check(Faults.Point.WRAP);
            DirectBlock block = new DirectBlock(here);
            NativeBuffer buffer = new NativeBuffer(segment, block, NativeBlocks.effectiveAlignment(alignment), viewed);
            block.root = buffer;
            block.member = Cohort.watchAlone(block, ledger, address, capacity); // last: from here on the GC may free it
            return buffer;
        } catch (Throwable t) {
            NativeBlocks.discard(ledger, address, capacity);
            throw t;
        }
    }

    /**
     * As {@link #allocate(Ledger, long, long)}, then moved to a cohort at once, as the first access
     * from another thread would move it: for the tests of cohorts and their eviction.
     */
    static NativeBuffer allocateShared(Ledger ledger, long capacity, long alignment) {
        NativeBuffer buffer = allocate(ledger, capacity, alignment);
        DirectBlock block = (DirectBlock) buffer.owner();
        synchronized (block) {
            block.share();
            block.moveHome(buffer);
        }
        block.closeConfined(); // this thread is its owner, and holds no access through it
        return buffer;
    }

    /**
     * Refuses every later access through the buffers of this block, kills the views handed out,
     * and frees the block: at once when this thread allocated it and no other thread used it;
     * else it is counted closed in its cohort, or handed to the thread that allocated it. A
     * second call does nothing.
     */
    @Override
    public void closeBuffer() {
        boolean mine = home.isCurrent();
        if (mine) {
            home.closeHanded();
        }
        Cohort shared;
        Cohort.Member watched;
        boolean confinedOpen;
        synchronized (this) {
            if (closed) {
                return;
            }
            if (exposed != null) {
                exposed.arena().close(); // may throw if a downcall uses it: then nothing changed
            }
            if (mine) {
                confined = null; // this thread is in no access through the confined scope: it is here
            }
            confinedOpen = confined != null;
            CLOSED.setVolatile(this, true);
            root.empty(); // every later access of the first buffer fails its cursor's checks
            shared = cohort;
            watched = member;
            if (shared == null && confinedOpen) {
                watched.markClosed();
                watched.pin();
            }
        }
        if (shared != null) {
            if (mine && !confinedOpen) {
                watched.unpin(); // pinned when the block moved; its confined scope is closed now
            }
            shared.memberClosed(watched);
        } else if (!confinedOpen) {
            watched.runOnClose(this); // closed by its own thread: nothing else can free it
        } else {
            watched.release(); // freed once its thread settled it (closeConfined), or by the GC
            home.hand(this);
        }
    }

    /**
     * On the thread that allocated this block, after another thread moved or closed it, at a
     * point where this thread is in no access (its next {@code allocateDirect} or
     * {@code close()}): takes the first buffer off the confined scope, which stays open for the
     * thread's other blocks, and lets the block be freed as soon as nothing else holds it.
     *
     * <p>The first buffer is the only one made on that scope. An open block's first buffer moves to
     * the cohort (unless an access from another thread moved it already), so that from here on its
     * accesses on this thread are under the cohort's scope, whose close waits for them. A closed
     * block's first buffer is emptied again, on this thread: another thread emptied it when it
     * closed the block, but this thread may have set its limit since, having not yet seen the close
     * (it reads the flag plainly). From here on this thread sees the flag: it read the hand-off
     * with acquire semantics, after the closing thread set the flag and pushed it.
     */
    void closeConfined() {
        Cohort.Member watched;
        synchronized (this) {
            if (confined == null) {
                return;
            }
            if (closed) {
                root.empty();
            } else if (cohort != null) {
                moveOutIfEvicted();
                moveHome(root);
            }
            confined = null;
            watched = member;
        }
        watched.unpin();
    }

    /**
     * As {@link #closeConfined()}, for a block whose thread ended: nothing can access through its
     * scope any more, which nothing can close either. The scope stays recorded, so that a buffer
     * still working on it moves when next used ({@link #moveHome}).
     */
    void forgetConfined() {
        Cohort.Member watched;
        synchronized (this) {
            watched = member;
        }
        watched.unpin();
    }

    /**
     * For an access through {@code buffer} that its scope refused: when the block is open, either
     * another thread than its own uses it (it moves to a cohort), or its cohort was evicted (its
     * scope closed to free the closed blocks beside it, see {@link Cohort}; it moves to a cohort
     * of its own), unless an access on another thread did so already; then points {@code buffer}
     * at the block's scope.
     *
     * @return whether the access should be tried again: false when the block was closed
     */
    boolean rehome(NativeBuffer buffer) {
        return moveToLiveScope(buffer, buffer) != null;
    }

    /**
     * Gives the block a live shared scope, out of its thread's confined scope (which is handed
     * back to that thread) or out of its evicted cohort, and points {@code a} and {@code b}, two
     * buffers of the block (the same one, or two), at it.
     *
     * @return the block's cohort, or null when the block is closed, or lives in the confined
     *     scope of this thread (there is nothing to move)
     */
    private Cohort moveToLiveScope(NativeBuffer a, NativeBuffer b) {
        boolean handOver;
        Cohort live;
        synchronized (this) {
            if (closed) {
                return null;
            }
            handOver = cohort == null;
            if (handOver) {
                if (home.isCurrent()) {
                    return null; // its own thread, on a scope only it can close, and did not
                }
                share();
            } else {
                moveOutIfEvicted();
            }
            moveHome(a);
            if (b != a) {
                moveHome(b);
            }
            live = cohort;
        }
        if (handOver) {
            home.hand(this);
        }
        return live;
    }

    /**
     * Whether {@code segment}, a segment of a buffer of this block, is still in the confined scope
     * of a thread other than this one: an access through it would fail. Plain reads, cheapest
     * first for the common cases (a block that moved, its own thread); {@link #rehome} decides
     * under the lock.
     */
    boolean confinedElsewhere(MemorySegment segment) {
        return cohort == null && !home.isCurrent() && isConfined(segment.scope());
    }

    /** Whether {@code scope} is the confined one of the thread that allocated this block; a plain read. */
    private boolean isConfined(MemorySegment.Scope scope) {
        Arena c = confined;
        return c != null && scope == c.scope();
    }

    /**
     * Whether an access through {@code segment}, a segment of a buffer of this block, fails
     * because of its scope: dead, or confined to another thread.
     */
    synchronized boolean refuses(MemorySegment segment) {
        return !segment.scope().isAlive() || isConfined(segment.scope()) && !home.isCurrent();
    }

    /**
     * Moves this block, which lived in its thread's confined scope only, to a cohort; under this
     * lock. The confined scope stays open (its thread may be in an access through it), so the
     * block's new member is pinned until that thread closes it.
     */
    private void share() {
        Cohort.Member alone = member;
        Cohort joined = Cohort.admit(alone);
        Cohort.Member shared;
        try {
            if (joined.solo()) {
                joined.keepReachable(this); // a cohort of one block: its segments are handed out as they are
            }
            shared = joined.watch(this, alone.address(), alone.size());
        } catch (Throwable t) {
            joined.abandon(alone.size());
            throw t;
        }
        if (confined != null) {
            shared.pin();
        }
        alone.retire(this);
        member = shared;
        cohort = joined;
    }

    /** Gives the block a cohort of its own if its cohort was evicted; under this lock. */
    private void moveOutIfEvicted() {
        if (!cohort.alive()) {
            cohort = Cohort.solo(cohort, member.size());
            cohort.keepReachable(this); // a cohort of one block: its segments are handed out as they are
        }
    }

    /**
     * Points {@code buffer} at the block's cohort when it works on a dead scope or on the confined
     * one; under this lock, with a cohort.
     */
    private void moveHome(NativeBuffer buffer) {
        MemorySegment.Scope scope = buffer.segment.scope();
        if (!scope.isAlive() || isConfined(scope)) {
            buffer.moveTo(cohort.segment(member.address(), member.size()));
        }
    }

    /**
     * Before a copy between buffers of this block that must not be repeated (it may overlap
     * itself, so a retry after an eviction cut it could copy moved bytes): points both buffers at
     * a live scope and holds off any eviction of the cohort until {@link Cohort#letEviction()}.
     *
     * @return the cohort to let go after the copy, or null when nothing was held: the block is
     *     closed (the copy then fails as any access does), has a cohort of its own, or is in the
     *     confined scope of this thread
     */
    Cohort holdOffEviction(NativeBuffer a, NativeBuffer b) {
        for (;;) {
            Cohort held = moveToLiveScope(a, b);
            if (held == null || held.solo()) {
                return null;
            }
            if (held.holdOff()) {
                return held;
            }
            Thread.yield(); // an eviction is under way: a handshake, then this block moves
        }
    }

    /** {@return whether {@link #closeBuffer()} ran} */
    boolean isClosed() {
        return (boolean) CLOSED.getVolatile(this);
    }

    /**
     * The part {@code internal} of the block as a segment for the user: in a scope of the block's
     * own, which keeps this block (and through it the cohort) reachable and dies with
     * {@link #closeBuffer()}.
     */
    @Override
    public MemorySegment exposedSegment(MemorySegment internal) {
        MemorySegment base;
        synchronized (this) {
            if (cohort != null && cohort.solo() && internal.scope() == cohort.scope() && internal.scope().isAlive()) {
                return internal; // dies with the block: closing the block is closing its cohort
            }
            if (exposed == null) {
                Arena arena = Arena.ofShared();
                // The cleanup action holds this block: while a view handed out is reachable, so is
                // this block, which the GC watches (its Member).
                exposed = new Exposed(arena, MemorySegment.ofAddress(member.address()).reinterpret(member.size(),
                        arena, ignored -> Reference.reachabilityFence(this)));
                if (closed) {
                    arena.close();
                }
            }
            base = exposed.block();
        }
        MemorySegment view = base.asSlice(internal.address() - base.address(), internal.byteSize());
        return internal.isReadOnly() ? view.asReadOnly() : view;
    }

    @Override
    public RuntimeException accessRefused(RuntimeException refused) {
        return (refused instanceof IllegalStateException || refused instanceof WrongThreadException) && isClosed()
                ? Errors.freed("this GC-managed buffer was closed", refused)
                : refused;
    }

    /**
     * A thread that allocates GC-managed blocks, and the confined arena where they start: one for
     * all its blocks, never closed, whose scope no other thread can use. Other threads that moved
     * or closed one of its blocks hand it back here, and the thread settles them at its next
     * {@code allocateDirect} or {@code close()}, where it is in no access ({@link #closeConfined}).
     */
    static final class Confinement {
        private static final ThreadLocal<Confinement> CURRENT = ThreadLocal.withInitial(Confinement::new);
        private static final VarHandle HANDED;
        /**
         * The threads that other threads ever handed blocks back to, until they end: the reclaimer
         * settles what was handed to those that ended ({@link #settleEnded}), which nothing else
         * would until the GC found the blocks unreachable. Listed once per thread, so that a
         * hand-off costs no more than a read of {@link #listed}.
         */
        private static final Set<Confinement> OWED = ConcurrentHashMap.newKeySet();

        static {
            try {
                HANDED = MethodHandles.lookup().findVarHandle(Confinement.class, "handed", Handed.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
            ReclaimQueue.global().runPeriodically(Confinement::settleEnded);
        }

        private final Thread thread = Thread.currentThread();
        /**
         * The scope of every block this thread allocated, until another thread uses or closes the
         * block. Its segments carry no cleanup action (the blocks are freed one by one, by
         * {@link #closeBuffer()} or the GC), so it holds nothing but its own state: an arena per
         * block cost 80 bytes of heap and its creation and close on every allocation.
         */
        final Arena arena = Arena.ofConfined();
        /** Blocks whose confined scope this thread is to close: a stack pushed by other threads. */
        @SuppressWarnings("unused") // through HANDED
        private volatile Handed handed;
        /** Whether this is in {@link #OWED}: set by the first hand-off, for good. */
        private volatile boolean listed;

        /** Weak: a block handed back and then dropped is the GC's to free, which this must not prevent. */
        private static final class Handed extends WeakReference<DirectBlock> {
            final Handed next;

            Handed(DirectBlock block, Handed next) {
                super(block);
                this.next = next;
            }
        }

        /** This thread's, after closing the scopes handed back to it. */
        static Confinement current() {
            Confinement here = CURRENT.get();
            here.closeHanded();
            return here;
        }

        boolean isCurrent() {
            return thread == Thread.currentThread();
        }

        /** On this thread: settles the blocks other threads moved or closed ({@link #closeConfined}). */
        void closeHanded() {
            if (handed != null) {
                takeHanded(false);
            }
        }

        /** From another thread, which moved or closed {@code block}: asks this one to settle it. */
        void hand(DirectBlock block) {
            Handed top;
            do {
                top = handed;
            } while (!HANDED.compareAndSet(this, top, new Handed(block, top)));
            if (!listed) {
                listed = true;
                OWED.add(this);
            }
            if (!thread.isAlive()) {
                takeHanded(true); // it ended, so it accesses nothing: its scopes hold nothing back
            }
        }

        /**
         * On the reclaimer, about every 0.1 s: settles what was handed back to threads that ended
         * since, without waiting for another hand-off to notice it. A thread that lives and no
         * longer allocates keeps what was handed to it until the GC finds it unreachable: it may
         * be in the middle of an access through its confined scope, which only it can say it left.
         */
        static void settleEnded() {
            for (Confinement owed : OWED) {
                if (!owed.thread.isAlive()) {
                    OWED.remove(owed); // a later hand-off finds it ended and settles at once
                    owed.takeHanded(true);
                }
            }
        }

        /** Empties the stack: settles each block (on this thread) or, once it ended, forgets it. */
        private void takeHanded(boolean ended) {
            for (Handed h = (Handed) HANDED.getAndSet(this, null); h != null; h = h.next) {
                DirectBlock block = h.get();
                if (block == null) {
                    continue; // dropped: the GC frees it
                }
                if (ended) {
                    block.forgetConfined();
                } else {
                    block.closeConfined();
                }
            }
        }
    }
}
