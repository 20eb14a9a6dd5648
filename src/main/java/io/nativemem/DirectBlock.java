package io.nativemem;

import io.nativemem.internal.Cohort;
import io.nativemem.internal.Errors;
import io.nativemem.internal.Faults;
import io.nativemem.internal.Ledger;
import io.nativemem.internal.NativeBlocks;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;

/**
 * The owner of one GC-managed block ({@link NativeBuffer#allocateDirect}), shared by the buffer
 * and all its views.
 *
 * <p>A block starts in a JDK confined arena of the thread that allocated it (its
 * {@link Confinement}): as long as only that thread uses it, {@link #closeBuffer()} on that thread
 * closes the arena, which needs no handshake (no other thread can be in an access through a
 * confined segment), and frees the block at once. Measured (JMH, allocateDirect + close, two
 * alternated forks each, 64 B / 4 KiB / 64 KiB / 1 MiB): 100-104 / 191-213 / 1,131-1,175 /
 * 19,051-19,466 ns, against 178-193 / 385-657 / 3,313-4,598 / 155,906-173,078 ns when every block
 * lived in a shared cohort, and 66-86 / 178-216 / 1,942-2,272 / 31,554-32,519 ns for
 * {@code ByteBuffer.allocateDirect} + {@code invokeCleaner} in the same forks. The price: the
 * confined arena, 80 bytes of heap per block (344 per buffer instead of 264).
 *
 * <p>The first access from another thread (seen before the access, {@link #confinedElsewhere}, or
 * from its {@link WrongThreadException}) moves the block to a {@link Cohort} ({@link #rehome}):
 * its first buffer's segment is then in the cohort's JDK shared arena, closed with one handshake
 * once every member of the cohort is closed, and the access goes on there. The allocating thread
 * may still be in the middle of an access through the confined segment (a loop that read it
 * before the move), so the memory is not freed until that thread closed its confined arena: the
 * mover pins the block's {@link Cohort.Member} and hands the arena with it to that thread
 * ({@link Confinement#hand}), which closes such arenas and unpins at its next
 * {@code allocateDirect} or {@code close()}; if it ended, nothing is left to wait for; if it never
 * comes back, the GC frees the block once it is unreachable. A block closed by another thread
 * before anything moved it is handed over the same way. The same member follows the block from
 * its allocation to its free: a move makes a segment, a view and a hand-off record, and nothing
 * the GC must process (JMH HandOffBatch: 400 to 481 bytes of heap per buffer read and closed by
 * another thread, against 544 when the move made a second member and a weak reference).
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
     * a confined one, by its thread), after which every access fails. A read the JIT cannot
     * hoist (opaque) stopped such a loop within 0.2 ms, but made accessor loops 16 to 36 times
     * slower (getLong(i) over 64 KiB: 11.4 us against 0.7 us).
     */
    boolean closed;
    /** The thread that allocated the block, the only one that can close {@link #confined}. */
    private final Confinement home;
    /**
     * That thread's confined arena, while the block lives there: null once it moved to a cohort,
     * or closed. Guarded by this; read plainly by the pre-check of the accessors
     * ({@link #confinedElsewhere}).
     */
    private Arena confined;
    /** The block's cohort, once another thread used it; replaced by a cohort of its own when evicted. */
    private Cohort cohort; // guarded by this
    /** The block as the GC watches it, from its allocation to its free; set by {@link #allocate}. */
    private Cohort.Member member;
    /** The block in a scope of its own, for views handed out; created on demand. */
    private Exposed exposed; // guarded by this
    /**
     * The buffer {@code allocateDirect} returned: the one buffer of the block that works on its
     * confined or cohort scope (the others work on {@link #exposed}), moved with the block,
     * emptied by {@link #closeBuffer()}; set before the block is shared.
     */
    private NativeBuffer root;

    /** The views handed out and their arena: apart, so that a block whose views nobody asks for stays small. */
    private record Exposed(Arena arena, MemorySegment block) {
    }

    private DirectBlock(Confinement home, Arena confined) {
        this.home = home;
        this.confined = confined;
    }

    /** A GC-managed block charged to the process-wide ledger, in a buffer. */
    static NativeBuffer allocate(long capacity, long alignment) {
        return allocate(Ledger.global(), capacity, alignment);
    }

    /** A GC-managed block charged to {@code ledger}, in a buffer, in the confined scope of this thread. */
    static NativeBuffer allocate(Ledger ledger, long capacity, long alignment) {
        Confinement here = Confinement.current(); // first closes what other threads handed back
        long address = NativeBlocks.allocate(ledger, capacity, alignment);
        try {
            Arena arena = Arena.ofConfined();
            MemorySegment segment = MemorySegment.ofAddress(address).reinterpret(capacity, arena, null);
            Faults.check(Faults.Point.WRAP);
            DirectBlock block = new DirectBlock(here, arena);
            NativeBuffer buffer = new NativeBuffer(segment, block, NativeBlocks.effectiveAlignment(alignment));
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
        Arena left;
        synchronized (block) {
            left = block.confined;
            block.share();
            block.moveHome(buffer);
        }
        left.close(); // this thread is its owner, and holds no access through it
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
        Cohort shared;
        Arena left = null;
        synchronized (this) {
            if (closed) {
                return;
            }
            if (exposed != null) {
                exposed.arena().close(); // may throw if a downcall uses it: then nothing changed
            }
            shared = cohort;
            if (shared == null) {
                if (mine) {
                    confined.close(); // no handshake: no other thread can access through it
                } else {
                    left = confined; // only its thread can close it, and it may be using it
                    member.pin();
                }
                confined = null;
            }
            CLOSED.setVolatile(this, true);
            root.emptyView(); // every later access of the first buffer fails the view's own checks
        }
        if (shared != null) {
            shared.memberClosed(member);
        } else if (left != null) {
            member.markClosed();
            member.release(); // freed once its thread closed the confined scope, or by the GC
            home.hand(left, member);
        } else {
            member.runOnClose(this); // closed by its own thread: nothing else can free it
        }
        if (mine) {
            home.closeHanded();
        }
    }

    /**
     * For an access through {@code buffer} that its scope refused: when the block is open, either
     * another thread than its own uses it (it moves), or its cohort was evicted (its scope closed
     * to free the closed blocks beside it, see {@link Cohort}; it moves to a cohort of its own),
     * unless an access on another thread did so already; then points {@code buffer} at the
     * block's scope.
     *
     * @return whether the access should be tried again: false when the block was closed
     */
    boolean rehome(NativeBuffer buffer) {
        return moveToLiveScope(buffer, buffer);
    }

    /**
     * Gives the block a live shared scope, out of its thread's confined scope (which is handed
     * back to that thread) or out of its evicted cohort, and points {@code a} and {@code b}, two
     * buffers of the block (the same one, or two), and the first buffer at it. The confined scope
     * stays open (its thread may be in the middle of an access through it): the block is pinned
     * and handed to that thread, which closes the scope at its next {@code allocateDirect} or
     * {@code close()} and unpins it ({@link Confinement#hand}).
     *
     * @return false when the block is closed, or lives in the confined scope of this thread
     *     (there is nothing to move)
     */
    private boolean moveToLiveScope(NativeBuffer a, NativeBuffer b) {
        Arena left = null;
        synchronized (this) {
            if (closed) {
                return false;
            }
            if (cohort != null) {
                moveOutIfEvicted();
            } else if (home.isCurrent()) {
                return false; // its own thread, on a scope only it can close, and did not
            } else {
                left = confined;
                share();
                member.pin(); // until its thread closed the scope it left
            }
            moveHome(root);
            moveHome(a);
            if (b != a) {
                moveHome(b);
            }
        }
        if (left != null) {
            home.hand(left, member);
        }
        return true;
    }

    /**
     * Whether {@code segment}, a segment of a buffer of this block, is still in the confined scope
     * of a thread other than this one: an access through it would fail. Plain reads, cheapest
     * first for the common cases (a block that moved, its own thread); {@link #rehome} decides
     * under the lock.
     */
    boolean confinedElsewhere(MemorySegment segment) {
        Arena c = confined;
        return c != null && !home.isCurrent() && segment.scope() == c.scope();
    }

    /** Whether {@code scope} is the confined one the block lives in. */
    private boolean isConfined(MemorySegment.Scope scope) {
        Arena c = confined;
        return c != null && scope == c.scope();
    }

    /**
     * Whether an access through {@code segment}, the segment {@code buffer} of this block had,
     * failed because of its scope: the buffer moved since, or the scope is dead, or confined to
     * another thread.
     */
    synchronized boolean refuses(NativeBuffer buffer, MemorySegment segment) {
        MemorySegment.Scope scope = segment.scope();
        return buffer.segment != segment || !scope.isAlive() || isConfined(scope) && !home.isCurrent();
    }

    /**
     * Moves this block to a cohort, out of its confined scope, which the caller leaves open (its
     * thread may be in an access through it); under this lock.
     */
    private void share() {
        Cohort joined = Cohort.admit(member);
        if (joined.solo()) {
            try {
                joined.keepReachable(this); // a cohort of one block: its segments are handed out as they are
            } catch (Throwable t) {
                joined.abandon(member.size());
                throw t;
            }
        }
        member.join(joined);
        cohort = joined;
        confined = null;
    }

    /** Gives the block a cohort of its own if its cohort was evicted; under this lock. */
    private void moveOutIfEvicted() {
        if (!cohort.alive()) {
            cohort = Cohort.solo(cohort, member.size());
            cohort.keepReachable(this); // a cohort of one block: its segments are handed out as they are
        }
    }

    /**
     * Points {@code buffer} at the scope the block lives in, unless it works there already or on
     * the scope of the views handed out; under this lock, the block open.
     */
    private void moveHome(NativeBuffer buffer) {
        MemorySegment.Scope scope = buffer.segment.scope();
        MemorySegment.Scope live = cohort != null ? cohort.scope() : confined.scope();
        if (scope != live && (exposed == null || scope != exposed.arena().scope())) {
            buffer.moveTo(cohort != null
                    ? cohort.segment(member.address(), member.size())
                    : MemorySegment.ofAddress(member.address()).reinterpret(member.size(), confined, null));
        }
    }

    /**
     * Before a copy between buffers of this block that must not be repeated (it may overlap
     * itself, so a retry after an eviction cut it could copy moved bytes): points both buffers at
     * a live scope and holds off any eviction of the cohort until {@link Cohort#letEviction()}.
     *
     * @return the cohort to let go after the copy, or null when nothing was held: the block is
     *     closed (the copy then fails as any access does), has a cohort of its own, or is in a
     *     confined scope of this thread
     */
    Cohort holdOffEviction(NativeBuffer a, NativeBuffer b) {
        for (;;) {
            if (!moveToLiveScope(a, b)) {
                return null;
            }
            Cohort held;
            synchronized (this) {
                held = cohort;
            }
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
     * A thread that allocates GC-managed blocks: the owner of their confined scopes. Other threads
     * that moved or closed one of its blocks hand the scope back here, and the thread closes them
     * at its next {@code allocateDirect} or {@code close()} (only it can).
     */
    static final class Confinement {
        private static final ThreadLocal<Confinement> CURRENT = ThreadLocal.withInitial(Confinement::new);
        private static final VarHandle HANDED;

        static {
            try {
                HANDED = MethodHandles.lookup().findVarHandle(Confinement.class, "handed", Handed.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final Thread thread = Thread.currentThread();
        /** Confined scopes this thread is to close: a stack pushed by other threads. */
        @SuppressWarnings("unused") // through HANDED
        private volatile Handed handed;

        /**
         * A scope left behind, and the block to unpin once it is closed. Neither holds the block's
         * owner: a block dropped meanwhile is the GC's to free.
         */
        private record Handed(Arena scope, Cohort.Member member, Handed next) {
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

        /** On this thread: closes the confined scopes other threads handed back. */
        void closeHanded() {
            if (handed != null) {
                takeHanded(false);
            }
        }

        /** From another thread: asks this one to close {@code scope}, then to unpin {@code member}. */
        void hand(Arena scope, Cohort.Member member) {
            Handed top;
            do {
                top = handed;
            } while (!HANDED.compareAndSet(this, top, new Handed(scope, member, top)));
            if (!thread.isAlive()) {
                takeHanded(true); // it ended, so it accesses nothing: its scopes hold nothing back
            }
        }

        /** Empties the stack: closes (on this thread) or, once it ended, forgets each scope, and unpins. */
        private void takeHanded(boolean ended) {
            for (Handed h = (Handed) HANDED.getAndSet(this, null); h != null; h = h.next()) {
                if (!ended) {
                    h.scope().close();
                }
                h.member().unpin();
            }
        }
    }
}
