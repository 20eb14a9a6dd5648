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
import java.nio.ByteBuffer;

/**
 * The owner of one GC-managed block ({@link NativeBuffer#allocateDirect}), shared by the buffer
 * and all its views.
 *
 * <p>The block lives in a {@link Cohort}: its segment's scope is the cohort's JDK shared arena,
 * which is closed, with one handshake, once every member of the cohort is closed. So that a
 * closed block is refused at once, every buffer of the block checks {@link #closed} before each
 * access. The segments and {@code ByteBuffer}s handed to the user ({@link NativeBuffer#segment()},
 * {@link NativeBuffer#asByteBuffer()}) cannot check our flag: they get a JDK shared arena of the
 * block's own, created on the first such call and closed by {@link #closeBuffer()}, so only
 * buffers whose memory was viewed that way pay its handshake (a block alone in its cohort needs
 * none: its cohort is closed with it).
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
     * stays allocated until the cohort's arena is closed with a handshake, after which every access
     * fails. A read the JIT cannot hoist (opaque) stopped such a loop within 0.2 ms, but made
     * accessor loops 16 to 36 times slower (getLong(i) over 64 KiB: 11.4 us against 0.7 us).
     */
    boolean closed;
    /** The block's cohort; replaced by a cohort of its own when the first one is evicted. */
    private Cohort cohort; // guarded by this
    /** The block as the GC watches it; set by {@link #allocate} before the block is shared. */
    private Cohort.Member member;
    /** The block in a scope of its own, for views handed out; created on demand. */
    private Exposed exposed; // guarded by this
    /** The view of the first buffer, emptied by {@link #closeBuffer()}; set before the block is shared. */
    private ByteBuffer guarded;
    private boolean offered;

    /** The views handed out and their arena: apart, so that a block whose views nobody asks for stays small. */
    private record Exposed(Arena arena, MemorySegment block) {
    }

    private DirectBlock(Cohort cohort) {
        this.cohort = cohort;
    }

    /** A GC-managed block charged to the process-wide ledger, in a buffer. */
    static NativeBuffer allocate(long capacity, long alignment) {
        return allocate(Ledger.global(), capacity, alignment);
    }

    /** A GC-managed block charged to {@code ledger}, in a buffer. */
    static NativeBuffer allocate(Ledger ledger, long capacity, long alignment) {
        long address = NativeBlocks.allocate(ledger, capacity, alignment);
        Cohort cohort = null;
        try {
            cohort = Cohort.admit(ledger, capacity);
            MemorySegment segment = cohort.segment(address, capacity);
            Faults.check(Faults.Point.WRAP);
            DirectBlock block = new DirectBlock(cohort);
            NativeBuffer buffer = new NativeBuffer(segment, block, NativeBlocks.effectiveAlignment(alignment));
            if (cohort.solo()) {
                cohort.keepReachable(block); // its segment may be handed out as it is
            }
            block.member = cohort.watch(block, address, capacity); // last: from here on the GC may free it
            return buffer;
        } catch (Throwable t) {
            if (cohort != null) {
                cohort.abandon(capacity);
            }
            NativeBlocks.discard(ledger, address, capacity);
            throw t;
        }
    }

    /**
     * Refuses every later access through the buffers of this block, kills the views handed out,
     * and counts the block closed in its cohort; a second call does nothing.
     */
    @Override
    public void closeBuffer() {
        Cohort home;
        synchronized (this) {
            if (closed) {
                return;
            }
            if (exposed != null) {
                exposed.arena().close(); // may throw if a downcall uses it: then nothing changed
            }
            CLOSED.setVolatile(this, true);
            ByteBuffer view = guarded;
            if (view != null) {
                view.limit(0); // every later access of the first buffer fails the view's own checks
            }
            home = cohort;
        }
        home.memberClosed(member);
    }

    /**
     * For an access through {@code buffer} that its scope refused: when the block is open, its
     * cohort was evicted (its scope closed to free the closed blocks beside it, see {@link Cohort}):
     * moves the block to a cohort of its own, unless an access on another thread did so already,
     * and points {@code buffer} at it.
     *
     * @return whether the access should be tried again: false when the block was closed
     */
    boolean rehome(NativeBuffer buffer) {
        synchronized (this) {
            if (closed) {
                return false;
            }
            moveOutIfEvicted();
            moveHome(buffer);
            return true;
        }
    }

    /** Gives the block a cohort of its own if its cohort was evicted; under this lock. */
    private void moveOutIfEvicted() {
        if (!cohort.alive()) {
            cohort = Cohort.solo(cohort, member.size());
            cohort.keepReachable(this); // a cohort of one block: its segments are handed out as they are
        }
    }

    /** Points {@code buffer} at the block's cohort unless it works on a live scope already; under this lock. */
    private void moveHome(NativeBuffer buffer) {
        if (!buffer.segment.scope().isAlive()) {
            buffer.moveTo(cohort.segment(member.address(), member.size()));
        }
    }

    /**
     * Before a copy between buffers of this block that must not be repeated (it may overlap
     * itself, so a retry after an eviction cut it could copy moved bytes): points both buffers at
     * a live scope and holds off any eviction of the cohort until {@link Cohort#letEviction()}.
     *
     * @return the cohort to let go after the copy, or null when nothing was held: the block is
     *     closed (the copy then fails as any access does) or has a cohort of its own
     */
    Cohort holdOffEviction(NativeBuffer a, NativeBuffer b) {
        for (;;) {
            Cohort home;
            synchronized (this) {
                if (closed) {
                    return null;
                }
                moveOutIfEvicted();
                moveHome(a);
                moveHome(b);
                home = cohort;
            }
            if (home.solo()) {
                return null;
            }
            if (home.holdOff()) {
                return home;
            }
            Thread.yield(); // an eviction is under way: a handshake, then this block moves
        }
    }

    /** A buffer moved its view from {@code old} to {@code fresh} ({@link #rehome}); called under this lock. */
    void guardsInstead(ByteBuffer old, ByteBuffer fresh) {
        if (guarded == old) {
            guarded = fresh;
        }
    }

    /**
     * Offers the view of a buffer of this block to be emptied when the block closes; only the
     * first buffer's is taken (the one {@code allocateDirect} returns, made before the block is
     * shared), whose view lives in the cohort's scope. Its element accesses then need no
     * closed-flag check, which C2 does not hoist out of a loop of relative accesses (getLong()
     * until the limit over 64 KiB: 7.8 us with the check, 5.3 us without, 4.9 us for a
     * DirectByteBuffer); slices and duplicates live in the block's own scope, as the segments
     * handed out do ({@link #exposedSegment}), and die when it is closed.
     */
    void guards(ByteBuffer view) {
        if (!offered) {
            offered = true;
            guarded = view; // null past 2 GiB: such a block has a scope of its own
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
            if (cohort.solo() && internal.scope().isAlive()) {
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
        return refused instanceof IllegalStateException && isClosed()
                ? Errors.freed("this GC-managed buffer was closed", refused)
                : refused;
    }
}
