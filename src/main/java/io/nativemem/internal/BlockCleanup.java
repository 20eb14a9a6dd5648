package io.nativemem.internal;

/** Frees one GC-managed block: when its buffer is closed, or when the GC found its scope unreachable. */
public final class BlockCleanup extends Cleanup {

    private final long address;
    private final long size;

    /** Registers {@code address} to be freed once {@code scope} is unreachable; must not be referenced by it. */
    public BlockCleanup(Object scope, long address, long size) {
        super(scope, ReclaimQueue.global());
        this.address = address;
        this.size = size;
    }

    @Override
    protected long free(boolean byGc) {
        NativeBlocks.free(address, size, byGc);
        Faults.check(Faults.Point.AFTER_FREE);
        return size;
    }
}
