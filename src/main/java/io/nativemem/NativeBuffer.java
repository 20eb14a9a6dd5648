package io.nativemem;

import io.nativemem.internal.Cohort;
import io.nativemem.internal.Errors;
import io.nativemem.internal.NativeBlocks;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.InvalidMarkException;
import java.nio.ReadOnlyBufferException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;

/**
 * A cursor over one block of native memory, with {@link ByteBuffer}'s vocabulary and {@code long}
 * indices: the capacity may exceed 2 GiB.
 *
 * <h2>The contract every method shares</h2>
 * <ul>
 *   <li>The cursor keeps {@code 0 <= mark <= position <= limit <= capacity} as
 *       {@link java.nio.Buffer} does, and the same exceptions: a relative read past the limit
 *       throws {@link BufferUnderflowException}, a relative write {@link BufferOverflowException},
 *       an absolute access outside {@code [0, limit)} {@link IndexOutOfBoundsException} (naming
 *       the index, the length and the limit), a write to a read-only buffer
 *       {@link ReadOnlyBufferException}. A method that throws leaves the cursor where it was.</li>
 *   <li>Once the memory is freed (the buffer {@linkplain #close() closed}, its arena closed, or
 *       the mapping unmapped), every access through this buffer or any view of it throws
 *       {@link IllegalStateException}, saying what freed it: it never touches freed memory.</li>
 *   <li>A buffer from a {@linkplain NativeArena#ofConfined() confined arena} may be used by its
 *       owner thread only; from any other thread every access throws
 *       {@link WrongThreadException} naming both threads.</li>
 *   <li>Multi-byte values use {@link #order()}, {@link ByteOrder#BIG_ENDIAN} unless changed, and
 *       need no alignment.</li>
 * </ul>
 * These exceptions are not repeated on each method below.
 *
 * <p>A buffer comes from {@link #allocateDirect(long)} (GC-managed, like
 * {@code ByteBuffer.allocateDirect}, or freed by {@link #close()}) or from a
 * {@link NativeArena} (freed when the arena closes). Views ({@link #slice()}, {@link #duplicate()},
 * {@link #asReadOnlyBuffer()}, {@link #segment()}, {@link #asByteBuffer()}) share the memory and
 * keep it alive. A buffer is not safe for concurrent use of its cursor by several threads.
 *
 * @apiNote Every accessor costs what the same loop over a {@code DirectByteBuffer} or a
 *     {@code MemorySegment} costs once JIT-compiled ({@code jmh/run access} measures each): under
 *     2 GiB the cursor and every write are those of a {@code DirectByteBuffer} view of the block,
 *     and absolute reads go through the segment with a {@code long} range check, which C2 hoists
 *     from {@code int} and {@code long} loops alike; past 2 GiB everything goes through the
 *     segment. Unlike {@code ByteBuffer}, views keep the byte order of the buffer they come from.
 */
public sealed class NativeBuffer implements AutoCloseable, Comparable<NativeBuffer> permits MappedNativeBuffer {

    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    private static final ValueLayout.OfChar CHAR_BE = ValueLayout.JAVA_CHAR_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfChar CHAR_LE = CHAR_BE.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE = SHORT_BE.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = INT_BE.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = LONG_BE.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_BE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = FLOAT_BE.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE_BE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE_LE = DOUBLE_BE.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * How many bytes one channel call moves at most. A channel takes a {@code ByteBuffer}, which
     * holds at most 2 GiB - 1; 1 GiB also stays under what Linux moves in one read or write
     * (0x7ffff000 bytes), so a file channel fills each chunk whole and a transfer past 2 GiB
     * takes one call of {@link #read} or {@link #write}.
     */
    private static final int CHANNEL_CHUNK = 1 << 30;

    /** Replaced only when the block moves to another scope ({@link #moveTo}). */
    MemorySegment segment;
    /**
     * The whole block as a {@code DirectByteBuffer} when its capacity fits an {@code int}, else
     * null. When present it holds the position and the limit, and every element access is its
     * own: a loop over this buffer then compiles to the code of the same loop over a
     * {@code DirectByteBuffer}. C2 hoists its {@code int} range checks and vectorises even
     * stores of values computed from the index, which it does not do past a {@code long} range
     * check such as a segment's (storing {@code (byte) i} over 64 KiB: 0.7 us through a
     * ByteBuffer, 12 us through a segment); its relative accessors check and move one
     * {@code int} position, where a cursor of our own on top of its absolute accessors cost
     * 1.5x (getLong() until the limit: 8.2 us against 5.3 us). Its mark is never used (ours
     * is); its byte order follows this buffer's; it is read-only when this buffer is, and then
     * refuses writes by itself. A larger buffer works on the segment with
     * {@code long} indices and a cursor of its own ({@link #cursor}).
     */
    private ByteBuffer view;
    private final BlockOwner owner;
    /** log2 of the alignment of {@link #address()}, which is a power of two: a byte where a long took 8. */
    private final byte alignmentShift;
    private final boolean readOnly;
    /** The position and the limit when there is no view, else null. */
    private final LongCursor cursor;
    private long mark = -1;
    private boolean bigEndian = true;

    NativeBuffer(MemorySegment segment, BlockOwner owner, long alignment) {
        this(segment, owner, alignment, segment.byteSize() <= Integer.MAX_VALUE);
    }

    /** With {@code viewed} false, a small buffer takes the path of large ones: for tests of that path. */
    NativeBuffer(MemorySegment segment, BlockOwner owner, long alignment, boolean viewed) {
        this.segment = segment;
        this.owner = owner;
        if (Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment " + alignment + ": not a power of two (a runtime bug)");
        }
        this.alignmentShift = (byte) Long.numberOfTrailingZeros(alignment);
        this.readOnly = segment.isReadOnly();
        this.view = viewed ? segment.asByteBuffer().order(ByteOrder.BIG_ENDIAN) : null;
        this.cursor = viewed ? null : new LongCursor(segment.byteSize());
    }

    /**
     * The cursor of a buffer past 2 GiB, which has no view to keep it: in an object of its own,
     * so that the buffers that have a view (all up to 2 GiB) do not carry its two fields. With
     * them, and the capacity as a field of its own, a GC-managed buffer cost 24 bytes more.
     */
    private static final class LongCursor {
        long position;
        long limit;

        LongCursor(long limit) {
            this.limit = limit;
        }
    }

    /** A buffer over the same memory that works as a buffer past 2 GiB does: for tests. */
    NativeBuffer withoutView() {
        return copyCursorTo(new NativeBuffer(owner.exposedSegment(segment), owner, alignment(), false));
    }

    /**
     * Allocates a zeroed GC-managed buffer with {@link NativeArena#DEFAULT_BUFFER_ALIGNMENT}: the
     * {@code ByteBuffer.allocateDirect} equivalent. Any thread may use it; its memory is freed by
     * the runtime's cleaner once it and every view of it are unreachable, or by
     * {@link #close()}. It starts in a scope of the allocating thread, so that a {@code close()}
     * on that thread frees it at once without a handshake; the first use from another thread
     * moves it to a shared scope, which the caller does not see (see {@link #close()}).
     *
     * @param capacity the capacity in bytes, {@code >= 0}; may exceed 2 GiB
     * @return a buffer with position 0, limit {@code capacity}, big-endian
     * @throws IllegalArgumentException if {@code capacity < 0}
     * @throws OutOfMemoryError if the limit leaves no room even after the GC-assisted slow path,
     *     or libc has no memory
     */
    public static NativeBuffer allocateDirect(long capacity) {
        return allocateDirect(capacity, NativeArena.DEFAULT_BUFFER_ALIGNMENT);
    }

    /**
     * Allocates a zeroed GC-managed buffer whose address is a multiple of {@code alignment}.
     *
     * @param capacity the capacity in bytes, {@code >= 0}; may exceed 2 GiB
     * @param alignment a power of two
     * @return a buffer with position 0, limit {@code capacity}, big-endian
     * @throws IllegalArgumentException if {@code capacity < 0} or {@code alignment} is not a
     *     positive power of two
     * @throws OutOfMemoryError as {@link #allocateDirect(long)}
     */
    public static NativeBuffer allocateDirect(long capacity, long alignment) {
        NativeBlocks.validate(capacity, alignment);
        return DirectBlock.allocate(capacity, alignment);
    }

    // ---- lifecycle and identity ------------------------------------------------------------

    /**
     * Frees a GC-managed buffer; does nothing for a buffer that belongs to an arena (the arena frees
     * it when it closes), so that any buffer can stand in a try-with-resources. Idempotent.
     *
     * <p>What it guarantees, once it returns:
     * <ul>
     *   <li>Every access through this buffer throws {@link IllegalStateException}, on this
     *       thread and on any thread whose access happens after this call (it started, joined,
     *       or synchronized with this thread after it). The
     *       buffer {@code allocateDirect} returned then has a limit and a position of 0, which no
     *       cursor method can move: it has no bytes left to offer.</li>
     *   <li>Every slice, duplicate, {@link #segment()} and {@link #asByteBuffer()} view of it is
     *       dead on every thread, as the segments of a closed JDK shared arena are: they live in
     *       a scope of the block's own, made the first time one is asked for, whose close is one
     *       handshake with every thread (tens of microseconds) that only such blocks pay.</li>
     *   <li>No access ever touches freed memory. A thread that races with this call without any
     *       synchronization, in particular a loop already running on another thread (the JIT
     *       checks the closed flag once for the whole loop, as it does a JDK scope), may go on
     *       accessing the buffer until the JDK scope it works on is closed (see below): it reads
     *       and writes memory that is still allocated, and fails then.</li>
     * </ul>
     *
     * <p>When the memory returns to the limit:
     * <ul>
     *   <li>A buffer closed on the thread that allocated it, which no other thread used: before
     *       this returns. The block lives in the JDK confined scope of that thread (one for all
     *       its blocks), so no other thread can be in an access to it and nothing needs a
     *       handshake.</li>
     *   <li>The first use from another thread (any method) moves the block to a JDK shared scope,
     *       which a block of 64 KiB or less shares with other GC-managed blocks (a cohort: at most
     *       16384 blocks and 8 MiB or 1/8 of the limit, whichever is smaller); a larger one has one
     *       of its own, closed by this call. A closed block of a cohort is freed when the cohort's
     *       scope is closed: when every other block of the cohort is closed or was found
     *       unreachable by the GC, when a reservation needs the room, or, once allocations stop,
     *       within about 0.2 s.</li>
     *   <li>The allocating thread may still be in an access through the confined scope, which no
     *       other thread's close waits for: a block that another thread moved or closed is also
     *       held until that thread has left such an access, which it has at its next
     *       {@code allocateDirect} or {@code close()} of a buffer it allocated, or once it ended.</li>
     *   <li>Whatever the above: when the GC finds the block unreachable (each block is watched on
     *       its own).</li>
     * </ul>
     * Until then the block still counts in {@link NativeMemory#stats()}. A reservation that does
     * not fit gets the room of every closed block of a cohort before it waits or asks for a GC:
     * its slow path also closes the scope of each cohort that holds closed blocks beside open ones
     * (one handshake per such cohort), and frees the closed ones. The open blocks of such a cohort
     * keep their bytes and their cursor, and move to a scope of their own at their next access (an
     * access that fails on the old scope is tried again; the caller never sees it), so a buffer
     * kept open never holds the memory of buffers closed beside it once that memory is needed.
     * Closing such a block later costs one handshake of its own. A closed block that still waits
     * for its allocating thread is freed by the GC the reservation asks for once it is unreachable.
     *
     * @apiNote closing a JDK shared arena is a handshake with every thread (tens of microseconds):
     *     a buffer used by one thread only never pays it, and a cohort shares one among all its
     *     blocks. A buffer whose {@link #segment()}
     *     or {@link #asByteBuffer()} was asked for pays one handshake of its own on close. Stopping
     *     a racing loop at once would take either that handshake for every buffer or a check that
     *     the JIT cannot hoist; measured, such a check (an opaque read) made accessor loops 16 to
     *     36 times slower.
     * @throws IllegalStateException if a segment of this buffer is in use by a downcall right now
     */
    @Override
    public void close() {
        owner.closeBuffer();
    }

    /** {@return whether the memory is still allocated: {@code false} once it was freed} */
    public boolean isAlive() {
        // A GC-managed block's scope may die while it is open (its cohort evicted): its flag is what counts.
        return owner instanceof DirectBlock block ? !block.isClosed() : segment.scope().isAlive();
    }

    /** {@return the native address of this buffer's first byte (index 0, not the position)} */
    public long address() {
        return segment.address();
    }

    /**
     * {@return the alignment of {@link #address()}: the block's, or less for a view that starts
     * at an offset; a power of two}
     */
    public long alignment() {
        return 1L << alignmentShift;
    }

    /**
     * The GC-managed block of this buffer, or null: checked by every method that is not an
     * element access. Not a field of its own: the owner is that block when there is one.
     */
    private DirectBlock block() {
        return owner instanceof DirectBlock b ? b : null;
    }

    /** {@return what this buffer's memory belongs to} */
    BlockOwner owner() {
        return owner;
    }

    /** {@return whether writes are refused: for {@link #asReadOnlyBuffer()} and read-only mappings} */
    public boolean isReadOnly() {
        return readOnly;
    }

    // ---- cursor: in the view when there is one -------------------------------------------

    /** {@return the capacity in bytes} */
    public final long capacity() {
        return segment.byteSize();
    }

    /** {@return the position: the index of the next relative access} */
    public final long position() {
        return view != null ? view.position() : cursor.position;
    }

    /**
     * Sets the position; a mark beyond it is discarded.
     *
     * @param newPosition in {@code [0, limit]}
     * @return this buffer
     * @throws IllegalArgumentException if {@code newPosition} is outside {@code [0, limit]}
     */
    public final NativeBuffer position(long newPosition) {
        long limit = limit();
        if (newPosition < 0 || newPosition > limit) {
            throw Errors.badCursor("position", newPosition, 0, limit);
        }
        if (mark > newPosition) {
            mark = -1;
        }
        setPosition(newPosition);
        return this;
    }

    /** {@return the limit: the index of the first byte that accesses may not touch} */
    public final long limit() {
        return view != null ? view.limit() : cursor.limit;
    }

    /**
     * Sets the limit; the position and the mark are pulled back under it.
     *
     * @param newLimit in {@code [0, capacity]}
     * @return this buffer
     * @throws IllegalArgumentException if {@code newLimit} is outside {@code [0, capacity]}
     */
    public final NativeBuffer limit(long newLimit) {
        long capacity = capacity();
        if (newLimit < 0 || newLimit > capacity) {
            throw Errors.badCursor("limit", newLimit, 0, capacity);
        }
        if (mark > newLimit) {
            mark = -1;
        }
        setLimit(newLimit);
        return this;
    }

    /**
     * Marks the position.
     *
     * @return this buffer
     */
    public final NativeBuffer mark() {
        mark = position();
        return this;
    }

    /**
     * Moves the position back to the mark.
     *
     * @return this buffer
     * @throws InvalidMarkException if no mark is set
     */
    public final NativeBuffer reset() {
        if (mark < 0) {
            throw new InvalidMarkException();
        }
        setPosition(mark);
        return this;
    }

    /**
     * Position 0, limit at the capacity, no mark. The bytes are not touched.
     *
     * @return this buffer
     */
    public final NativeBuffer clear() {
        setLimit(capacity());
        setPosition(0);
        mark = -1;
        return this;
    }

    /**
     * Limit at the position, position 0, no mark: ready to read what was written.
     *
     * @return this buffer
     */
    public final NativeBuffer flip() {
        setLimit(position());
        setPosition(0);
        mark = -1;
        return this;
    }

    /**
     * Position 0, no mark; the limit stays.
     *
     * @return this buffer
     */
    public final NativeBuffer rewind() {
        setPosition(0);
        mark = -1;
        return this;
    }

    /** {@return {@code limit - position}: the bytes left for relative accesses} */
    public final long remaining() {
        return view != null ? view.remaining() : cursor.limit - cursor.position;
    }

    /** {@return whether {@code position < limit}} */
    public final boolean hasRemaining() {
        return view != null ? view.hasRemaining() : cursor.position < cursor.limit;
    }

    /** {@return the byte order of multi-byte accesses; {@link ByteOrder#BIG_ENDIAN} unless changed} */
    public final ByteOrder order() {
        return bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    }

    /**
     * Sets the byte order of multi-byte accesses.
     *
     * @param order the new order
     * @return this buffer
     * @throws NullPointerException if {@code order} is null
     */
    public final NativeBuffer order(ByteOrder order) {
        bigEndian = Objects.requireNonNull(order, "order") == ByteOrder.BIG_ENDIAN;
        if (view != null) {
            view.order(order);
        }
        return this;
    }

    /** Moves the position, unchecked: {@code 0 <= newPosition <= limit}. */
    private void setPosition(long newPosition) {
        if (view != null) {
            view.position((int) newPosition);
        } else {
            cursor.position = newPosition;
        }
    }

    /** Moves the limit, unchecked, pulling the position back under it. */
    private void setLimit(long newLimit) {
        // A closed block's first buffer stays empty, whatever its cursor is asked to do (see empty()).
        long kept = owner instanceof DirectBlock block && block.closed ? 0 : newLimit;
        if (view != null) {
            view.limit((int) kept);
        } else {
            cursor.limit = kept;
            cursor.position = Math.min(cursor.position, kept);
        }
    }

    /**
     * Leaves no byte between the position and the limit, for good: called when the GC-managed
     * block of this buffer, the first one of the block, is closed. This buffer works on the
     * confined scope of the thread that allocated the block, which is never closed, so the empty
     * cursor is what refuses its absolute and relative accesses through the view, and its
     * absolute reads through the segment ({@link #checkIndex}); {@link #setLimit} keeps it empty.
     */
    void empty() {
        if (view != null) {
            view.limit(0);
        } else {
            cursor.limit = 0;
            cursor.position = 0;
        }
    }

    // ---- the checks -------------------------------------------------------------------------
    //
    // Bounds are checked where C2 recognises a range check and hoists it out of a loop: by the
    // view's own int checks (cursor and writes), or by Objects.checkIndex on longs (absolute
    // reads, and everything past 2 GiB). A
    // hand-written `index < 0 || size > limit - index` is an ordinary branch that stays in the
    // loop and keeps it from being unrolled or vectorised: that made the first generation
    // 5-18x slower than DirectByteBuffer. The catch blocks cost nothing until they run: they
    // only rewrite the message, or put back a position the view moved before it failed.

    /**
     * An absolute index for the view: an {@code int} loop index, widened by the call, narrows
     * back for free; the view then checks the bounds.
     *
     * @throws IndexOutOfBoundsException without a message: the public method writes it
     */
    private static int narrow(long index) {
        int i = (int) index;
        if (i != index) {
            throw new IndexOutOfBoundsException();
        }
        return i;
    }

    /**
     * Checks an absolute index for a read through the segment. Reads take the segment with a
     * {@code long} check on every buffer: C2 hoists it out of {@code int} and {@code long}
     * loops alike, where the view's {@code int} check stays in a loop with a {@code long}
     * counter (getLong(i) over 64 KiB with a long i: 3.1 us through the view, 0.5 us here).
     * Writes keep the view: past a {@code long} check, C2 does not vectorise them.
     */
    private long checkIndex(long index, int size) {
        settleIfElsewhere();
        return Objects.checkIndex(index, limit() - (size - 1));
    }

    /**
     * The view, for an element access: first moves the block here if it still lives in the
     * confined scope of another thread ({@link #settleIfElsewhere()}).
     */
    private ByteBuffer view() {
        settleIfElsewhere();
        return view;
    }

    /**
     * Before an access (an element, a copy, a channel call, a comparison): moves the block of this
     * buffer out of the confined scope of another thread, if this buffer still works on it, so
     * that the first access from this thread does not fail on that scope first. Such a failure
     * costs an exception with a stack trace, 2 us and more a buffer (a buffer handed from one
     * thread to another and read there: 64 B, 2.4-4.2 us against 0.43-0.47 us for a
     * DirectByteBuffer); the catch blocks still handle it, for a move that races. The test reads
     * final fields, one field that changes once, and {@code Thread.currentThread()}: in a loop,
     * the JIT checks it once.
     */
    private void settleIfElsewhere() {
        if (owner instanceof DirectBlock b && b.confinedElsewhere(segment)) {
            b.rehome(this);
        }
    }

    private IndexOutOfBoundsException outOfBounds(long index, int size) {
        return Errors.outOfBounds("Index", index, size, limit());
    }

    /** The position, advanced by the caller, for a relative read of {@code size} bytes. */
    private long nextGetIndex(long size) {
        checkOpen();
        long p = position();
        if (limit() - p < size) {
            throw new BufferUnderflowException();
        }
        return p;
    }

    /** The position, advanced by the caller, for a relative write of {@code size} bytes. */
    private long nextPutIndex(long size) {
        checkOpen();
        checkWritable();
        long p = position();
        if (limit() - p < size) {
            throw new BufferOverflowException();
        }
        return p;
    }

    private void checkWritable() {
        if (readOnly) {
            throw new ReadOnlyBufferException();
        }
    }

    /** Refuses an access to a GC-managed block that was closed (its scope may live on for a while). */
    private void checkOpen() {
        DirectBlock b = block();
        if (b != null && b.closed) { // plain read: C2 may hoist it, as it does a scope check
            throw refused(Errors.alreadyClosed());
        }
    }

    /**
     * The exception to throw for a bounds failure: the closed block's, if that is the cause. The
     * flag is read with acquire semantics here: a close on another thread emptied the view after
     * setting it, so having seen the empty view, this read sees the flag.
     */
    private RuntimeException closedOr(RuntimeException e) {
        DirectBlock b = block();
        return b != null && b.isClosed() ? refused(Errors.alreadyClosed()) : e;
    }

    /** Explains an access the segment's scope refused: which memory was freed, which threads. */
    private RuntimeException refused(RuntimeException e) {
        return owner.accessRefused(e);
    }

    /**
     * For an access that this buffer's scope refused: whether to try it again, because the block
     * is open and this buffer now works on a scope that is (see {@link DirectBlock#rehome}). The
     * scope of a GC-managed block of 64 KiB or less is its cohort's, which the slow path of a
     * reservation may close while the block is open, to free the closed blocks beside it; every
     * access that fails for that reason is tried again. Only accesses whose failure cannot come
     * from anything but this buffer's own scope call it.
     */
    private boolean moved() {
        DirectBlock b = block();
        return b != null && b.rehome(this);
    }

    /**
     * As {@link #moved()}, for an access that also touched memory other than this buffer's
     * ({@code segment}'s scope refused it only if it is dead now, or confined to another thread).
     *
     * @param segment this buffer's segment as the access used it
     */
    private boolean movedFrom(MemorySegment segment) {
        DirectBlock b = block();
        return b != null && b.refuses(segment) && b.rehome(this);
    }

    /**
     * As {@link #moved()}, after putting back the position that a relative access of the view
     * moved: a {@code DirectByteBuffer} advances its position by {@code size} before the memory
     * access that its scope refuses.
     */
    private boolean movedBack(int size) {
        view.position(view.position() - size);
        return moved();
    }

    /**
     * Points this buffer, whose scope died, at {@code home}, the whole block in the scope it moved
     * to. Called by {@code DirectBlock.moveHome} under the block's lock, which checks the scope.
     */
    void moveTo(MemorySegment home) {
        MemorySegment old = segment;
        MemorySegment moved = home.asSlice(old.address() - home.address(), old.byteSize());
        segment = old.isReadOnly() ? moved.asReadOnly() : moved;
        ByteBuffer v = view;
        if (v != null) {
            ByteBuffer fresh = segment.asByteBuffer().order(v.order());
            fresh.limit(v.limit()).position(v.position());
            view = fresh;
        }
    }

    // ---- byte --------------------------------------------------------------------------------
    /** {@return the byte at the position, which then advances by 1} */
    public byte get() {
        if (view() != null) {
            try {
                return view.get();
            } catch (IllegalStateException | WrongThreadException e) {
                if (movedBack(Byte.BYTES)) {
                    return get();
                }
                throw refused(e);
            } catch (BufferUnderflowException | BufferOverflowException e) {
                throw closedOr(e);
            }
        }
        long i = nextGetIndex(Byte.BYTES);
        try {
            byte v = segment.get(BYTE, i);
            cursor.position = i + Byte.BYTES;
            return v;
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return get();
            }
            throw refused(e);
        }
    }

    /**
     * {@return the byte at {@code index}}
     *
     * @param index in {@code [0, limit)}
     */
    public byte get(long index) {
        try {
            long i = checkIndex(index, Byte.BYTES);
            return segment.get(BYTE, i);
        } catch (IndexOutOfBoundsException e) {
            throw closedOr(outOfBounds(index, Byte.BYTES));
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return get(index);
            }
            throw refused(e);
        }
    }

    /**
     * Writes a byte at the position and advances it by 1.
     *
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer put(byte value) {
        if (view() != null) {
            try {
                view.put(value);
                return this;
            } catch (IllegalStateException | WrongThreadException e) {
                if (movedBack(Byte.BYTES)) {
                    return put(value);
                }
                throw refused(e);
            } catch (BufferUnderflowException | BufferOverflowException e) {
                throw closedOr(e);
            }
        }
        long i = nextPutIndex(Byte.BYTES);
        try {
            segment.set(BYTE, i, value);
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return put(value);
            }
            throw refused(e);
        }
        cursor.position = i + Byte.BYTES;
        return this;
    }

    /**
     * Writes a byte at {@code index}.
     *
     * @param index in {@code [0, limit)}
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer put(long index, byte value) {
        try {
            if (view() != null) {
                view.put(narrow(index), value);
            } else {
                checkWritable();
                long i = checkIndex(index, Byte.BYTES);
                segment.set(BYTE, i, value);
            }
        } catch (IndexOutOfBoundsException e) {
            throw closedOr(outOfBounds(index, Byte.BYTES));
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return put(index, value);
            }
            throw refused(e);
        }
        return this;
    }

    // ---- short -------------------------------------------------------------------------------
    /** {@return the short at the position, which then advances by 2} */
    public short getShort() {
        if (view() != null) {
            try {
                return view.getShort();
            } catch (IllegalStateException | WrongThreadException e) {
                if (movedBack(Short.BYTES)) {
                    return getShort();
                }
                throw refused(e);
            } catch (BufferUnderflowException | BufferOverflowException e) {
                throw closedOr(e);
            }
        }
        long i = nextGetIndex(Short.BYTES);
        try {
            short v = bigEndian ? segment.get(SHORT_BE, i) : segment.get(SHORT_LE, i);
            cursor.position = i + Short.BYTES;
            return v;
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return getShort();
            }
            throw refused(e);
        }
    }

    /**
     * {@return the short at {@code index}}
     *
     * @param index in {@code [0, limit - 2]}
     */
    public short getShort(long index) {
        try {
            long i = checkIndex(index, Short.BYTES);
            return bigEndian ? segment.get(SHORT_BE, i) : segment.get(SHORT_LE, i);
        } catch (IndexOutOfBoundsException e) {
            throw closedOr(outOfBounds(index, Short.BYTES));
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return getShort(index);
            }
            throw refused(e);
        }
    }

    /**
     * Writes a short at the position and advances it by 2.
     *
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putShort(short value) {
        if (view() != null) {
            try {
                view.putShort(value);
                return this;
            } catch (IllegalStateException | WrongThreadException e) {
                if (movedBack(Short.BYTES)) {
                    return putShort(value);
                }
                throw refused(e);
            } catch (BufferUnderflowException | BufferOverflowException e) {
                throw closedOr(e);
            }
        }
        long i = nextPutIndex(Short.BYTES);
        try {
            if (bigEndian) {
                segment.set(SHORT_BE, i, value);
            } else {
                segment.set(SHORT_LE, i, value);
            }
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return putShort(value);
            }
            throw refused(e);
        }
        cursor.position = i + Short.BYTES;
        return this;
    }

    /**
     * Writes a short at {@code index}.
     *
     * @param index in {@code [0, limit - 2]}
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putShort(long index, short value) {
        try {
            if (view() != null) {
                view.putShort(narrow(index), value);
            } else {
                checkWritable();
                long i = checkIndex(index, Short.BYTES);
                if (bigEndian) {
                    segment.set(SHORT_BE, i, value);
                } else {
                    segment.set(SHORT_LE, i, value);
                }
            }
        } catch (IndexOutOfBoundsException e) {
            throw closedOr(outOfBounds(index, Short.BYTES));
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return putShort(index, value);
            }
            throw refused(e);
        }
        return this;
    }

    // ---- char --------------------------------------------------------------------------------
    /** {@return the char at the position, which then advances by 2} */
    public char getChar() {
        if (view() != null) {
            try {
                return view.getChar();
            } catch (IllegalStateException | WrongThreadException e) {
                if (movedBack(Character.BYTES)) {
                    return getChar();
                }
                throw refused(e);
            } catch (BufferUnderflowException | BufferOverflowException e) {
                throw closedOr(e);
            }
        }
        long i = nextGetIndex(Character.BYTES);
        try {
            char v = bigEndian ? segment.get(CHAR_BE, i) : segment.get(CHAR_LE, i);
            cursor.position = i + Character.BYTES;
            return v;
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return getChar();
            }
            throw refused(e);
        }
    }

    /**
     * {@return the char at {@code index}}
     *
     * @param index in {@code [0, limit - 2]}
     */
    public char getChar(long index) {
        try {
            long i = checkIndex(index, Character.BYTES);
            return bigEndian ? segment.get(CHAR_BE, i) : segment.get(CHAR_LE, i);
        } catch (IndexOutOfBoundsException e) {
            throw closedOr(outOfBounds(index, Character.BYTES));
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return getChar(index);
            }
            throw refused(e);
        }
    }

    /**
     * Writes a char at the position and advances it by 2.
     *
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putChar(char value) {
        if (view() != null) {
            try {
                view.putChar(value);
                return this;
            } catch (IllegalStateException | WrongThreadException e) {
                if (movedBack(Character.BYTES)) {
                    return putChar(value);
                }
                throw refused(e);
            } catch (BufferUnderflowException | BufferOverflowException e) {
                throw closedOr(e);
            }
        }
        long i = nextPutIndex(Character.BYTES);
        try {
            if (bigEndian) {
                segment.set(CHAR_BE, i, value);
            } else {
                segment.set(CHAR_LE, i, value);
            }
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return putChar(value);
            }
            throw refused(e);
        }
        cursor.position = i + Character.BYTES;
        return this;
    }

    /**
     * Writes a char at {@code index}.
     *
     * @param index in {@code [0, limit - 2]}
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putChar(long index, char value) {
        try {
            if (view() != null) {
                view.putChar(narrow(index), value);
            } else {
                checkWritable();
                long i = checkIndex(index, Character.BYTES);
                if (bigEndian) {
                    segment.set(CHAR_BE, i, value);
                } else {
                    segment.set(CHAR_LE, i, value);
                }
            }
        } catch (IndexOutOfBoundsException e) {
            throw closedOr(outOfBounds(index, Character.BYTES));
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return putChar(index, value);
            }
            throw refused(e);
        }
        return this;
    }

    // ---- int ---------------------------------------------------------------------------------
    /** {@return the int at the position, which then advances by 4} */
    public int getInt() {
        if (view() != null) {
            try {
                return view.getInt();
            } catch (IllegalStateException | WrongThreadException e) {
                if (movedBack(Integer.BYTES)) {
                    return getInt();
                }
                throw refused(e);
            } catch (BufferUnderflowException | BufferOverflowException e) {
                throw closedOr(e);
            }
        }
        long i = nextGetIndex(Integer.BYTES);
        try {
            int v = bigEndian ? segment.get(INT_BE, i) : segment.get(INT_LE, i);
            cursor.position = i + Integer.BYTES;
            return v;
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return getInt();
            }
            throw refused(e);
        }
    }

    /**
     * {@return the int at {@code index}}
     *
     * @param index in {@code [0, limit - 4]}
     */
    public int getInt(long index) {
        try {
            long i = checkIndex(index, Integer.BYTES);
            return bigEndian ? segment.get(INT_BE, i) : segment.get(INT_LE, i);
        } catch (IndexOutOfBoundsException e) {
            throw closedOr(outOfBounds(index, Integer.BYTES));
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return getInt(index);
            }
            throw refused(e);
        }
    }

    /**
     * Writes an int at the position and advances it by 4.
     *
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putInt(int value) {
        if (view() != null) {
            try {
                view.putInt(value);
                return this;
            } catch (IllegalStateException | WrongThreadException e) {
                if (movedBack(Integer.BYTES)) {
                    return putInt(value);
                }
                throw refused(e);
            } catch (BufferUnderflowException | BufferOverflowException e) {
                throw closedOr(e);
            }
        }
        long i = nextPutIndex(Integer.BYTES);
        try {
            if (bigEndian) {
                segment.set(INT_BE, i, value);
            } else {
                segment.set(INT_LE, i, value);
            }
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return putInt(value);
            }
            throw refused(e);
        }
        cursor.position = i + Integer.BYTES;
        return this;
    }

    /**
     * Writes an int at {@code index}.
     *
     * @param index in {@code [0, limit - 4]}
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putInt(long index, int value) {
        try {
            if (view() != null) {
                view.putInt(narrow(index), value);
            } else {
                checkWritable();
                long i = checkIndex(index, Integer.BYTES);
                if (bigEndian) {
                    segment.set(INT_BE, i, value);
                } else {
                    segment.set(INT_LE, i, value);
                }
            }
        } catch (IndexOutOfBoundsException e) {
            throw closedOr(outOfBounds(index, Integer.BYTES));
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return putInt(index, value);
            }
            throw refused(e);
        }
        return this;
    }

    // ---- long --------------------------------------------------------------------------------
    /** {@return the long at the position, which then advances by 8} */
    public long getLong() {
        if (view() != null) {
            try {
                return view.getLong();
            } catch (IllegalStateException | WrongThreadException e) {
                if (movedBack(Long.BYTES)) {
                    return getLong();
                }
                throw refused(e);
            } catch (BufferUnderflowException | BufferOverflowException e) {
                throw closedOr(e);
            }
        }
        long i = nextGetIndex(Long.BYTES);
        try {
            long v = bigEndian ? segment.get(LONG_BE, i) : segment.get(LONG_LE, i);
            cursor.position = i + Long.BYTES;
            return v;
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return getLong();
            }
            throw refused(e);
        }
    }

    /**
     * {@return the long at {@code index}}
     *
     * @param index in {@code [0, limit - 8]}
     */
    public long getLong(long index) {
        try {
            long i = checkIndex(index, Long.BYTES);
            return bigEndian ? segment.get(LONG_BE, i) : segment.get(LONG_LE, i);
        } catch (IndexOutOfBoundsException e) {
            throw closedOr(outOfBounds(index, Long.BYTES));
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return getLong(index);
            }
            throw refused(e);
        }
    }

    /**
     * Writes a long at the position and advances it by 8.
     *
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putLong(long value) {
        if (view() != null) {
            try {
                view.putLong(value);
                return this;
            } catch (IllegalStateException | WrongThreadException e) {
                if (movedBack(Long.BYTES)) {
                    return putLong(value);
                }
                throw refused(e);
            } catch (BufferUnderflowException | BufferOverflowException e) {
                throw closedOr(e);
            }
        }
        long i = nextPutIndex(Long.BYTES);
        try {
            if (bigEndian) {
                segment.set(LONG_BE, i, value);
            } else {
                segment.set(LONG_LE, i, value);
            }
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return putLong(value);
            }
            throw refused(e);
        }
        cursor.position = i + Long.BYTES;
        return this;
    }

    /**
     * Writes a long at {@code index}.
     *
     * @param index in {@code [0, limit - 8]}
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putLong(long index, long value) {
        try {
            if (view() != null) {
                view.putLong(narrow(index), value);
            } else {
                checkWritable();
                long i = checkIndex(index, Long.BYTES);
                if (bigEndian) {
                    segment.set(LONG_BE, i, value);
                } else {
                    segment.set(LONG_LE, i, value);
                }
            }
        } catch (IndexOutOfBoundsException e) {
            throw closedOr(outOfBounds(index, Long.BYTES));
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return putLong(index, value);
            }
            throw refused(e);
        }
        return this;
    }

    // ---- float -------------------------------------------------------------------------------
    /** {@return the float at the position, which then advances by 4} */
    public float getFloat() {
        if (view() != null) {
            try {
                return view.getFloat();
            } catch (IllegalStateException | WrongThreadException e) {
                if (movedBack(Float.BYTES)) {
                    return getFloat();
                }
                throw refused(e);
            } catch (BufferUnderflowException | BufferOverflowException e) {
                throw closedOr(e);
            }
        }
        long i = nextGetIndex(Float.BYTES);
        try {
            float v = bigEndian ? segment.get(FLOAT_BE, i) : segment.get(FLOAT_LE, i);
            cursor.position = i + Float.BYTES;
            return v;
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return getFloat();
            }
            throw refused(e);
        }
    }

    /**
     * {@return the float at {@code index}}
     *
     * @param index in {@code [0, limit - 4]}
     */
    public float getFloat(long index) {
        try {
            long i = checkIndex(index, Float.BYTES);
            return bigEndian ? segment.get(FLOAT_BE, i) : segment.get(FLOAT_LE, i);
        } catch (IndexOutOfBoundsException e) {
            throw closedOr(outOfBounds(index, Float.BYTES));
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return getFloat(index);
            }
            throw refused(e);
        }
    }

    /**
     * Writes a float at the position and advances it by 4.
     *
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putFloat(float value) {
        if (view() != null) {
            try {
                view.putFloat(value);
                return this;
            } catch (IllegalStateException | WrongThreadException e) {
                if (movedBack(Float.BYTES)) {
                    return putFloat(value);
                }
                throw refused(e);
            } catch (BufferUnderflowException | BufferOverflowException e) {
                throw closedOr(e);
            }
        }
        long i = nextPutIndex(Float.BYTES);
        try {
            if (bigEndian) {
                segment.set(FLOAT_BE, i, value);
            } else {
                segment.set(FLOAT_LE, i, value);
            }
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return putFloat(value);
            }
            throw refused(e);
        }
        cursor.position = i + Float.BYTES;
        return this;
    }

    /**
     * Writes a float at {@code index}.
     *
     * @param index in {@code [0, limit - 4]}
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putFloat(long index, float value) {
        try {
            if (view() != null) {
                view.putFloat(narrow(index), value);
            } else {
                checkWritable();
                long i = checkIndex(index, Float.BYTES);
                if (bigEndian) {
                    segment.set(FLOAT_BE, i, value);
                } else {
                    segment.set(FLOAT_LE, i, value);
                }
            }
        } catch (IndexOutOfBoundsException e) {
            throw closedOr(outOfBounds(index, Float.BYTES));
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return putFloat(index, value);
            }
            throw refused(e);
        }
        return this;
    }

    // ---- double ------------------------------------------------------------------------------
    /** {@return the double at the position, which then advances by 8} */
    public double getDouble() {
        if (view() != null) {
            try {
                return view.getDouble();
            } catch (IllegalStateException | WrongThreadException e) {
                if (movedBack(Double.BYTES)) {
                    return getDouble();
                }
                throw refused(e);
            } catch (BufferUnderflowException | BufferOverflowException e) {
                throw closedOr(e);
            }
        }
        long i = nextGetIndex(Double.BYTES);
        try {
            double v = bigEndian ? segment.get(DOUBLE_BE, i) : segment.get(DOUBLE_LE, i);
            cursor.position = i + Double.BYTES;
            return v;
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return getDouble();
            }
            throw refused(e);
        }
    }

    /**
     * {@return the double at {@code index}}
     *
     * @param index in {@code [0, limit - 8]}
     */
    public double getDouble(long index) {
        try {
            long i = checkIndex(index, Double.BYTES);
            return bigEndian ? segment.get(DOUBLE_BE, i) : segment.get(DOUBLE_LE, i);
        } catch (IndexOutOfBoundsException e) {
            throw closedOr(outOfBounds(index, Double.BYTES));
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return getDouble(index);
            }
            throw refused(e);
        }
    }

    /**
     * Writes a double at the position and advances it by 8.
     *
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putDouble(double value) {
        if (view() != null) {
            try {
                view.putDouble(value);
                return this;
            } catch (IllegalStateException | WrongThreadException e) {
                if (movedBack(Double.BYTES)) {
                    return putDouble(value);
                }
                throw refused(e);
            } catch (BufferUnderflowException | BufferOverflowException e) {
                throw closedOr(e);
            }
        }
        long i = nextPutIndex(Double.BYTES);
        try {
            if (bigEndian) {
                segment.set(DOUBLE_BE, i, value);
            } else {
                segment.set(DOUBLE_LE, i, value);
            }
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return putDouble(value);
            }
            throw refused(e);
        }
        cursor.position = i + Double.BYTES;
        return this;
    }

    /**
     * Writes a double at {@code index}.
     *
     * @param index in {@code [0, limit - 8]}
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putDouble(long index, double value) {
        try {
            if (view() != null) {
                view.putDouble(narrow(index), value);
            } else {
                checkWritable();
                long i = checkIndex(index, Double.BYTES);
                if (bigEndian) {
                    segment.set(DOUBLE_BE, i, value);
                } else {
                    segment.set(DOUBLE_LE, i, value);
                }
            }
        } catch (IndexOutOfBoundsException e) {
            throw closedOr(outOfBounds(index, Double.BYTES));
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return putDouble(index, value);
            }
            throw refused(e);
        }
        return this;
    }

    // ---- bulk ------------------------------------------------------------------------------

    /**
     * Copies {@code dst.length} bytes from the position into {@code dst} and advances the position.
     *
     * @param dst the destination
     * @return this buffer
     * @throws BufferUnderflowException if fewer than {@code dst.length} bytes remain
     */
    public NativeBuffer get(byte[] dst) {
        return get(dst, 0, dst.length);
    }

    /**
     * Copies {@code length} bytes from the position into {@code dst[offset, offset + length)} and
     * advances the position.
     *
     * @param dst the destination
     * @param offset the first index written in {@code dst}
     * @param length how many bytes
     * @return this buffer
     * @throws IndexOutOfBoundsException if {@code offset} and {@code length} do not fit {@code dst}
     * @throws BufferUnderflowException if fewer than {@code length} bytes remain
     */
    public NativeBuffer get(byte[] dst, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, dst.length);
        long p = nextGetIndex(length);
        copyOut(p, dst, offset, length);
        setPosition(p + length);
        return this;
    }

    /**
     * Copies {@code dst.length} bytes from {@code index} into {@code dst}; the position does not move.
     *
     * @param index the first index read, with {@code index + dst.length <= limit}
     * @param dst the destination
     * @return this buffer
     * @throws IndexOutOfBoundsException if the bytes do not lie within {@code [0, limit)}
     */
    public NativeBuffer get(long index, byte[] dst) {
        return get(index, dst, 0, dst.length);
    }

    /**
     * Copies {@code length} bytes from {@code index} into {@code dst[offset, offset + length)}; the
     * position does not move.
     *
     * @param index the first index read, with {@code index + length <= limit}
     * @param dst the destination
     * @param offset the first index written in {@code dst}
     * @param length how many bytes
     * @return this buffer
     * @throws IndexOutOfBoundsException if the bytes do not lie within {@code [0, limit)}, or
     *     {@code offset} and {@code length} do not fit {@code dst}
     */
    public NativeBuffer get(long index, byte[] dst, int offset, int length) {
        checkRange(index, length);
        Objects.checkFromIndexSize(offset, length, dst.length);
        copyOut(index, dst, offset, length);
        return this;
    }

    /**
     * Copies bytes from the position into {@code dst} until {@code dst} is full, advancing both
     * positions.
     *
     * @param dst the destination, heap or direct
     * @return this buffer
     * @throws BufferUnderflowException if fewer than {@code dst.remaining()} bytes remain
     * @throws ReadOnlyBufferException if {@code dst} is read-only
     */
    public NativeBuffer get(ByteBuffer dst) {
        checkOpen();
        settleIfElsewhere();
        if (dst.isReadOnly()) {
            throw new ReadOnlyBufferException();
        }
        int n = dst.remaining();
        long p = nextGetIndex(n);
        MemorySegment s = segment;
        try {
            MemorySegment.copy(s, p, MemorySegment.ofBuffer(dst), 0, n);
        } catch (IllegalStateException | WrongThreadException e) {
            if (movedFrom(s)) {
                return get(dst);
            }
            throw refused(e);
        }
        dst.position(dst.position() + n);
        setPosition(p + n);
        return this;
    }

    /**
     * Copies all of {@code src} to the position and advances it.
     *
     * @param src the source
     * @return this buffer
     * @throws BufferOverflowException if fewer than {@code src.length} bytes remain
     */
    public NativeBuffer put(byte[] src) {
        return put(src, 0, src.length);
    }

    /**
     * Copies {@code src[offset, offset + length)} to the position and advances it.
     *
     * @param src the source
     * @param offset the first index read in {@code src}
     * @param length how many bytes
     * @return this buffer
     * @throws IndexOutOfBoundsException if {@code offset} and {@code length} do not fit {@code src}
     * @throws BufferOverflowException if fewer than {@code length} bytes remain
     */
    public NativeBuffer put(byte[] src, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, src.length);
        long p = nextPutIndex(length);
        copyIn(src, offset, p, length);
        setPosition(p + length);
        return this;
    }

    /**
     * Copies all of {@code src} to {@code index}; the position does not move.
     *
     * @param index the first index written, with {@code index + src.length <= limit}
     * @param src the source
     * @return this buffer
     * @throws IndexOutOfBoundsException if the bytes do not lie within {@code [0, limit)}
     */
    public NativeBuffer put(long index, byte[] src) {
        return put(index, src, 0, src.length);
    }

    /**
     * Copies {@code src[offset, offset + length)} to {@code index}; the position does not move.
     *
     * @param index the first index written, with {@code index + length <= limit}
     * @param src the source
     * @param offset the first index read in {@code src}
     * @param length how many bytes
     * @return this buffer
     * @throws IndexOutOfBoundsException if the bytes do not lie within {@code [0, limit)}, or
     *     {@code offset} and {@code length} do not fit {@code src}
     */
    public NativeBuffer put(long index, byte[] src, int offset, int length) {
        checkWritable();
        checkRange(index, length);
        Objects.checkFromIndexSize(offset, length, src.length);
        copyIn(src, offset, index, length);
        return this;
    }

    /**
     * Copies the remaining bytes of {@code src} to the position; advances both positions. The two
     * buffers may share memory (the copy then behaves as if it went through a temporary buffer).
     *
     * @param src the source; not this buffer
     * @return this buffer
     * @throws IllegalArgumentException if {@code src} is this buffer
     * @throws BufferOverflowException if {@code src} has more bytes remaining than this buffer
     */
    public NativeBuffer put(NativeBuffer src) {
        checkOpen();
        src.checkOpen();
        settleIfElsewhere();
        src.settleIfElsewhere();
        if (src == this) {
            throw new IllegalArgumentException("The source buffer is this buffer");
        }
        long n = src.remaining();
        long p = nextPutIndex(0);
        if (n > limit() - p) {
            throw new BufferOverflowException();
        }
        long sp = src.position();
        DirectBlock block = block();
        boolean overlapping = block != null && block == src.owner
                && overlap(src.segment.address() + sp, segment.address() + p, n);
        Cohort held = overlapping ? block.holdOffEviction(this, src) : null; // may move both buffers
        MemorySegment s = segment;
        MemorySegment from = src.segment;
        try {
            MemorySegment.copy(from, sp, s, p, n);
        } catch (IllegalStateException | WrongThreadException e) {
            // Two buffers of one block may overlap: that copy is not repeated (an eviction was held off).
            if (!overlapping && (movedFrom(s) | src.movedFrom(from))) {
                return put(src);
            }
            throw (from.scope().isAlive() ? this : src).refused(e);
        } finally {
            if (held != null) {
                held.letEviction();
            }
        }
        src.setPosition(sp + n);
        setPosition(p + n);
        return this;
    }

    /**
     * Copies the remaining bytes of {@code src} (heap or direct) to the position; advances both
     * positions.
     *
     * @param src the source
     * @return this buffer
     * @throws BufferOverflowException if {@code src} has more bytes remaining than this buffer
     */
    public NativeBuffer put(ByteBuffer src) {
        checkOpen();
        settleIfElsewhere();
        int n = src.remaining();
        long p = nextPutIndex(0);
        if (n > limit() - p) {
            throw new BufferOverflowException();
        }
        MemorySegment from = MemorySegment.ofBuffer(src);
        // src may be a view of this very block that overlaps the bytes written: such a copy is not repeated.
        DirectBlock block = block();
        boolean mayOverlap = block != null && src.isDirect() && overlap(from.address(), segment.address() + p, n);
        Cohort held = mayOverlap ? block.holdOffEviction(this, this) : null; // may move this buffer
        MemorySegment s = segment;
        try {
            MemorySegment.copy(from, 0, s, p, n);
        } catch (IllegalStateException | WrongThreadException e) {
            if (!mayOverlap && movedFrom(s)) {
                return put(src);
            }
            throw refused(e);
        } finally {
            if (held != null) {
                held.letEviction();
            }
        }
        src.position(src.position() + n);
        setPosition(p + n);
        return this;
    }

    /** Whether {@code n} bytes at address {@code a} and {@code n} bytes at address {@code b} overlap. */
    private static boolean overlap(long a, long b, long n) {
        return n > 0 && a < b + n && b < a + n;
    }

    private void checkRange(long index, int length) {
        checkOpen();
        long limit = limit();
        if (index < 0 || length < 0 || length > limit - index) {
            throw Errors.outOfBounds("Index", index, length, limit);
        }
    }

    private void copyOut(long from, byte[] dst, int offset, int length) {
        checkOpen();
        settleIfElsewhere();
        try {
            MemorySegment.copy(segment, BYTE, from, dst, offset, length);
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                copyOut(from, dst, offset, length);
                return;
            }
            throw refused(e);
        }
    }

    private void copyIn(byte[] src, int offset, long to, int length) {
        checkOpen();
        settleIfElsewhere();
        try {
            MemorySegment.copy(src, offset, segment, BYTE, to, length);
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                copyIn(src, offset, to, length);
                return;
            }
            throw refused(e);
        }
    }

    /**
     * Moves the bytes between the position and the limit to the start of the buffer, then sets the
     * position after them and the limit at the capacity, discarding the mark: ready to append
     * after a partial {@link #write}, as {@link ByteBuffer#compact()}.
     *
     * @return this buffer
     * @throws ReadOnlyBufferException if this buffer is read-only
     */
    public NativeBuffer compact() {
        checkOpen();
        settleIfElsewhere();
        checkWritable();
        long p = position();
        long n = limit() - p;
        // The copy overlaps itself when p < n: then it must not be repeated, so no eviction may cut it.
        boolean overlapping = p < n;
        Cohort held = overlapping && owner instanceof DirectBlock block ? block.holdOffEviction(this, this) : null;
        try {
            MemorySegment.copy(segment, p, segment, 0, n);
        } catch (IllegalStateException | WrongThreadException e) {
            if (!overlapping && moved()) {
                return compact();
            }
            throw refused(e);
        } finally {
            if (held != null) {
                held.letEviction();
            }
        }
        setLimit(capacity());
        setPosition(n);
        mark = -1;
        return this;
    }

    // ---- channels --------------------------------------------------------------------------

    /**
     * Reads from {@code channel} into the bytes between the position and the limit, and advances
     * the position by the count read, as {@link ReadableByteChannel#read(ByteBuffer)} does for a
     * {@code ByteBuffer}: one call may read fewer bytes than remain, so a fill loop reads
     * {@code while (buffer.hasRemaining() && buffer.read(channel) >= 0)}. Past 2 GiB the bytes are
     * read in chunks of 1 GiB, going on to the next chunk only while the channel fills each one.
     *
     * @param channel the channel
     * @return the bytes read, possibly 0, or -1 if the channel was at the end of its stream before
     *     any byte was read
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IOException as the channel's {@code read} throws it; the position then counts the
     *     bytes of the chunks read before the failure
     */
    public long read(ReadableByteChannel channel) throws IOException {
        Objects.requireNonNull(channel, "channel");
        checkWritable();
        long total = 0;
        long limit = limit();
        for (long p = position(); p < limit; p = position()) {
            int chunk = (int) Math.min(limit - p, CHANNEL_CHUNK);
            int n = transfer(channel, null, p, chunk);
            if (n == MOVED) {
                continue;
            }
            if (n < 0) {
                return total == 0 ? -1 : total;
            }
            setPosition(p + n);
            total += n;
            if (n < chunk) {
                break;
            }
        }
        return total;
    }

    /**
     * Writes the bytes between the position and the limit to {@code channel}, and advances the
     * position by the count written, as {@link WritableByteChannel#write(ByteBuffer)} does for a
     * {@code ByteBuffer} (a non-blocking channel may take fewer). Past 2 GiB the bytes are written
     * in chunks of 1 GiB, going on to the next chunk only while the channel takes each one whole.
     *
     * @param channel the channel
     * @return the bytes written, possibly 0
     * @throws IOException as the channel's {@code write} throws it
     */
    public long write(WritableByteChannel channel) throws IOException {
        Objects.requireNonNull(channel, "channel");
        long total = 0;
        long limit = limit();
        for (long p = position(); p < limit; p = position()) {
            int chunk = (int) Math.min(limit - p, CHANNEL_CHUNK);
            int n = transfer(null, channel, p, chunk);
            if (n == MOVED) {
                continue;
            }
            setPosition(p + n);
            total += n;
            if (n < chunk) {
                break;
            }
        }
        return total;
    }

    /** What {@link #transfer} returns when the block moved and the call must be made again. */
    private static final int MOVED = Integer.MIN_VALUE;

    /**
     * One channel call on {@code length} bytes at {@code index}: a read from {@code in}, or when it
     * is null a write to {@code out}. Returns {@link #MOVED} when the channel refused this
     * buffer's scope (before it moved any byte) because its cohort was evicted, or because it is
     * the confined scope of another thread: the block has moved, and the caller calls again.
     */
    private int transfer(ReadableByteChannel in, WritableByteChannel out, long index, int length) throws IOException {
        settleIfElsewhere();
        MemorySegment s = segment;
        try {
            ByteBuffer view = channelView(s, index, length);
            return in != null ? in.read(view) : out.write(view);
        } catch (IllegalStateException | WrongThreadException e) {
            if (movedFrom(s)) {
                return MOVED;
            }
            throw e;
        }
    }

    private ByteBuffer channelView(MemorySegment segment, long index, int length) {
        checkOpen();
        try {
            return segment.asSlice(index, length).asByteBuffer();
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
    }

    // ---- comparison, over the remaining bytes as ByteBuffer does it ------------------------

    /**
     * The relative index of the first byte, from each position, where this buffer and
     * {@code other} differ, as {@link ByteBuffer#mismatch(ByteBuffer)}.
     *
     * @param other the buffer to compare with
     * @return -1 if the remaining bytes are equal; else the first differing relative index, or the
     *     smaller remaining count when one is a prefix of the other
     */
    public long mismatch(NativeBuffer other) {
        checkOpen();
        other.checkOpen();
        settleIfElsewhere();
        other.settleIfElsewhere();
        MemorySegment s = segment;
        MemorySegment o = other.segment;
        try {
            return MemorySegment.mismatch(s, position(), limit(), o, other.position(), other.limit());
        } catch (IllegalStateException | WrongThreadException e) {
            if (movedFrom(s) | other.movedFrom(o)) {
                return mismatch(other);
            }
            throw (o.scope().isAlive() ? this : other).refused(e);
        }
    }

    /**
     * Whether {@code other} is a {@code NativeBuffer} with the same remaining bytes, as
     * {@link ByteBuffer#equals(Object)}: capacity, byte order and the bytes outside
     * {@code [position, limit)} do not matter.
     *
     * @param other the object to compare with
     * @return whether the remaining bytes are equal
     */
    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        return other instanceof NativeBuffer that && remaining() == that.remaining() && mismatch(that) < 0;
    }

    /**
     * The hash of the remaining bytes, computed as {@link ByteBuffer#hashCode()} does, so a
     * {@code NativeBuffer} and a {@code ByteBuffer} with the same remaining bytes hash alike. It
     * reads every remaining byte and changes with them: a buffer whose bytes may change is a poor
     * key for a hash map.
     *
     * @return the hash
     */
    @Override
    public int hashCode() {
        checkOpen();
        settleIfElsewhere();
        int h = 1;
        try {
            for (long i = limit() - 1, p = position(); i >= p; i--) {
                h = 31 * h + segment.get(BYTE, i);
            }
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return hashCode();
            }
            throw refused(e);
        }
        return h;
    }

    /**
     * Compares the remaining bytes lexicographically, each as a signed {@code byte}, then by the
     * remaining count, as {@link ByteBuffer#compareTo(ByteBuffer)}.
     *
     * @param other the buffer to compare with
     * @return negative, zero or positive as this buffer's remaining bytes are less than, equal to
     *     or greater than {@code other}'s
     */
    @Override
    public int compareTo(NativeBuffer other) {
        long i = mismatch(other);
        long thisRemaining = remaining();
        long thatRemaining = other.remaining();
        if (i >= 0 && i < Math.min(thisRemaining, thatRemaining)) {
            return Byte.compare(get(position() + i), other.get(other.position() + i));
        }
        return Math.clamp(thisRemaining - thatRemaining, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }

    // ---- views -----------------------------------------------------------------------------

    /**
     * A buffer over the bytes between the position and the limit, with its own cursor (position 0,
     * limit and capacity at the remaining count) and this buffer's byte order.
     *
     * @return the view
     */
    public NativeBuffer slice() {
        long p = position();
        return slice(p, limit() - p);
    }

    /**
     * A buffer over {@code [index, index + length)}, with its own cursor and this buffer's byte
     * order.
     *
     * @param index the first byte, in {@code [0, limit]}
     * @param length the view's capacity, with {@code index + length <= limit}
     * @return the view
     * @throws IndexOutOfBoundsException if the range does not lie within {@code [0, limit]}
     */
    public NativeBuffer slice(long index, long length) {
        long limit = limit();
        if (index < 0 || length < 0 || length > limit - index) {
            throw Errors.outOfBounds("Slice", index, length, limit);
        }
        NativeBuffer slice = new NativeBuffer(owner.exposedSegment(segment.asSlice(index, length)), owner,
                index == 0 ? alignment() : Math.min(alignment(), Long.lowestOneBit(index)));
        return slice.order(order());
    }

    /**
     * A buffer over the same bytes with a cursor of its own, starting as a copy of this one.
     *
     * @return the view
     */
    public NativeBuffer duplicate() {
        return copyCursorTo(new NativeBuffer(owner.exposedSegment(segment), owner, alignment()));
    }

    /**
     * A read-only buffer over the same bytes, with a cursor of its own starting as a copy of this
     * one.
     *
     * @return the view
     */
    public NativeBuffer asReadOnlyBuffer() {
        return copyCursorTo(new NativeBuffer(owner.exposedSegment(segment.asReadOnly()), owner, alignment()));
    }

    NativeBuffer copyCursorTo(NativeBuffer copy) {
        copy.setLimit(limit());
        copy.setPosition(position());
        copy.mark = mark;
        return copy.order(order());
    }

    /**
     * The memory of this buffer, all of its capacity, as a segment. The segment dies when the
     * buffer's memory is freed; it is read-only if this buffer is.
     *
     * @return the segment
     */
    public MemorySegment segment() {
        return owner.exposedSegment(segment);
    }

    /**
     * A direct {@link ByteBuffer} over the bytes between the position and the limit. It shares the
     * memory and dies with it, and has this buffer's byte order; its cursor is its own, so for
     * channels prefer {@link #read} and {@link #write}, which move this buffer's position.
     *
     * @return the view
     * @throws UnsupportedOperationException if more than {@code Integer.MAX_VALUE} bytes remain
     */
    public ByteBuffer asByteBuffer() {
        long n = remaining();
        if (n > Integer.MAX_VALUE) {
            throw new UnsupportedOperationException("Cannot view " + n + " bytes as a ByteBuffer (at most "
                    + Integer.MAX_VALUE + "): slice this buffer first");
        }
        checkOpen();
        try {
            return owner.exposedSegment(segment).asSlice(position(), n).asByteBuffer().order(order());
        } catch (IllegalStateException | WrongThreadException e) {
            if (moved()) {
                return asByteBuffer();
            }
            throw refused(e);
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[pos=" + position() + " lim=" + limit() + " cap=" + capacity()
                + " address=0x" + Long.toHexString(address()) + (isAlive() ? "" : " freed")
                + (isReadOnly() ? " read-only" : "") + "]";
    }
}
