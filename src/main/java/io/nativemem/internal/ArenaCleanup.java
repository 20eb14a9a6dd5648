package io.nativemem.internal;

/**
 * Frees every block of an arena: when it is closed, or when the GC found its scope unreachable
 * (an automatic arena's normal end; for a confined or shared arena, a leak, reported by
 * {@link LeakDetection}).
 */
public final class ArenaCleanup extends Cleanup {

    private final BlockList blocks;
    private final String kind;
    private final boolean explicit;
    private final Throwable createdAt;

    /**
     * @param scope what the GC watches; must not reference this cleanup's state
     * @param kind the arena's kind, for leak reports
     * @param explicit whether the arena was meant to be closed: freeing it by the GC is then a leak
     */
    public ArenaCleanup(Object scope, BlockList blocks, String kind, boolean explicit) {
        super(scope, blocks.ledger().reclaimQueue());
        this.blocks = blocks;
        this.kind = kind;
        this.explicit = explicit;
        this.createdAt = explicit && LeakDetection.enabled() ? LeakDetection.creationSite() : null;
    }

    @Override
    protected long free(boolean byGc) {
        long count = blocks.count();
        long bytes = blocks.bytes();
        blocks.freeAll(byGc);
        if (byGc && explicit && LeakDetection.enabled()) {
            LeakDetection.report(kind, count, bytes, createdAt);
        }
        return bytes;
    }
}
