package io.nativemem.internal;

/**
 * Frees every block of an arena: when it is closed, or when the GC found its scope unreachable
 * (an automatic arena's normal end; a confined or shared arena that was never closed).
 */
public final class ArenaCleanup extends Cleanup {

    private final BlockList blocks;

    public ArenaCleanup(Object scope, BlockList blocks) {
        super(scope, ReclaimQueue.global());
        this.blocks = blocks;
    }

    @Override
    protected void free(boolean byGc) {
        blocks.freeAll(byGc);
    }
}
