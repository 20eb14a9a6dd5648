package io.nativemem;

import io.nativemem.internal.BlockCleanup;
import io.nativemem.internal.Errors;
import io.nativemem.internal.Faults;
import io.nativemem.internal.NativeBlocks;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The owner of one GC-managed block ({@link NativeBuffer#allocateDirect}): a JDK shared arena of
 * its own gives the block a scope that {@link #closeBuffer()} can end, and a {@link BlockCleanup}
 * watching that scope frees the block when no buffer, slice, segment or {@code ByteBuffer} view
 * of it is reachable any more. Shared by the buffer and all its views.
 */
final class DirectBlock implements BlockOwner {

    private final Arena scopeArena;
    private final BlockCleanup cleanup;

    private DirectBlock(Arena scopeArena, BlockCleanup cleanup) {
        this.scopeArena = scopeArena;
        this.cleanup = cleanup;
    }

    static NativeBuffer allocate(long capacity, long alignment) {
        long address = NativeBlocks.allocate(capacity, alignment);
        BlockCleanup cleanup = null;
        try {
            Arena arena = Arena.ofShared();
            MemorySegment segment = MemorySegment.ofAddress(address).reinterpret(capacity, arena, null);
            cleanup = new BlockCleanup(arena.scope(), address, capacity);
            Faults.check(Faults.Point.WRAP);
            return new NativeBuffer(segment, new DirectBlock(arena, cleanup), NativeBlocks.effectiveAlignment(alignment));
        } catch (Throwable t) {
            if (cleanup != null) {
                cleanup.runExplicitly();
            } else {
                NativeBlocks.discard(address, capacity);
            }
            throw t;
        }
    }

    /** Ends the scope (every view dies), then frees; a second call does nothing. */
    @Override
    public synchronized void closeBuffer() {
        if (cleanup.isDone()) {
            return;
        }
        scopeArena.close();
        cleanup.runExplicitly();
    }

    @Override
    public RuntimeException accessRefused(RuntimeException refused) {
        return refused instanceof IllegalStateException && !scopeArena.scope().isAlive()
                ? Errors.freed("this GC-managed buffer was closed", refused)
                : refused;
    }
}
