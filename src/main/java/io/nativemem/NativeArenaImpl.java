package io.nativemem;

import io.nativemem.internal.ArenaMemory;
import io.nativemem.internal.Errors;
import io.nativemem.internal.Faults;
import io.nativemem.internal.FileMapper;
import io.nativemem.internal.LeakDetection;
import io.nativemem.internal.Ledger;
import io.nativemem.internal.NativeBlocks;
import io.nativemem.internal.Slabs;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The one implementation of {@link NativeArena}.
 *
 * <p>A JDK arena of the same kind (a shared one, never closed, for {@code AUTO}) provides the
 * scope: segments are attached to it with {@code reinterpret}, so closing it makes every view
 * throw {@link IllegalStateException}, and the JDK checks owner threads for us. The memory itself
 * is ours: small blocks are carved from slabs this arena malloc'ed ({@link Slabs}), larger ones are
 * malloc'ed on their own, and an {@link ArenaMemory} records both and frees them, explicitly on
 * {@link #close()} or by the GC when nobody can reach the scope. It is registered at the first
 * allocation or mapping: an arena that never allocates costs the JDK's arena and this object.
 *
 * <p>Every block is charged to the ledger on its own ({@code reserve}, then {@code commit} once
 * it exists), whether carved or malloc'ed, and all are released together when the arena is freed.
 *
 * <p>A confined arena's allocation path takes no lock and no atomic of its own: only its owner
 * thread allocates and closes. A shared or automatic arena carves under the monitor of its
 * {@code ArenaMemory}, which the free takes too, and registers and closes under its own.
 *
 * <p><b>What C2 makes of it.</b> Escape analysis removes the arena, the JDK's arena and the
 * segments only when C2 inlines {@link #allocate} and {@link #close()} into their caller and
 * never passes them to a call it does not inline; and C2 inlines a method it has already compiled
 * on its own only if that code is under 2,500 bytes ({@code InlineSmallCode}); the JDK's own path
 * is {@code @ForceInline}, which only the JDK may use. So the owner of a confined arena carves a
 * block that fits the current slab, with its stripe's credit, on a path of checks and one bump
 * ({@link #carveOnHotPath}); every other block of its takes {@link ArenaMemory#carveSlowly}, a
 * static method given the record and the JDK scope but never this arena, and large enough that
 * C2 never inlines it (its Javadoc says why it must not); everything else takes
 * {@link #allocateSlowly}, which a caller that never meets it does not compile. The carving state
 * (the current slab and its free range) lives in the record, which the GC tracks and so is on the
 * heap anyway. The blocks of both carving paths are wrapped at one site,
 * {@link ArenaMemory#wrapLast}, after the paths merged: a segment that met, at a merge, another one
 * returned by a call stayed on the heap (40 bytes a block). {@code close()} is 29 bytes of
 * bytecode: C1 inlines it, so C2 never compiles it on its own.
 *
 * <p>Measured (JMH {@code -prof gc}, 64 B confined arena, a segment): 251 bytes of heap per arena
 * before (this arena, its slab's segment and the JDK's arena object were on the heap), 144 after:
 * the JDK's session (56 bytes, the record's referent) and the record (88). In an arena
 * of one block, when {@code carveSlowly} was inlined into {@code allocate}, that compiled to 6 kB
 * and its callers did not inline it. {@link #allocateBuffer} still inlines {@code allocate} and the
 * buffer's constructor (1.9 kB, mostly the DBB view): a caller compiled after it may not inline it.
 *
 * @implNote This class sits in the exported package, package-private, because a sealed type's
 *     permitted subclasses must share its package when the library runs on the class path.
 */
final class NativeArenaImpl implements NativeArena, BlockOwner {

    enum Kind {
        CONFINED("confined"), SHARED("shared"), AUTO("automatic");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    private final Kind kind;
    private final Ledger ledger;
    private final Arena scopeArena;
    private final Thread owner;
    // Where the arena was created, when leak detection traces it; null otherwise.
    private final Throwable createdAt;
    // Registered at the first allocation or mapping. A shared arena registers under its monitor; a
    // thread that reads null here without it then checks again under it.
    // It holds the carving state too (the current slab and its free range), guarded by its monitor
    // in a concurrent arena.
    private ArenaMemory memory;

    private NativeArenaImpl(Kind kind, Ledger ledger, Arena scopeArena) {
        this.kind = kind;
        this.ledger = ledger;
        this.scopeArena = scopeArena;
        this.owner = kind == Kind.CONFINED ? Thread.currentThread() : null;
        this.createdAt = kind != Kind.AUTO && LeakDetection.enabled() ? LeakDetection.creationSite() : null;
    }

    /** An arena of this kind whose blocks are charged to the process-wide ledger. */
    static NativeArena create(Kind kind) {
        return create(kind, Ledger.global());
    }

    /** An arena of this kind whose blocks are charged to {@code ledger} (tests give one of their own). */
    static NativeArena create(Kind kind, Ledger ledger) {
        Arena scope = kind == Kind.CONFINED ? Arena.ofConfined() : Arena.ofShared();
        return new NativeArenaImpl(kind, ledger, scope);
    }

    /**
     * The hot path, {@link #carveOnHotPath}, or the slow one. A block carved either way is wrapped
     * at one place, {@link ArenaMemory#wrapLast}, after the paths merged: when C2 inlines this method,
     * the segment is then one allocation that escape analysis can remove, where a merge of the hot
     * path's segment with one returned by a call (the slow path) kept it on the heap, 40 bytes a
     * block. The slow path of a confined arena's owner is static and never given this arena, so
     * that once C2 inlines this method and {@link #close()} the arena itself need not exist on the
     * heap. Blocks too large to carve, other kinds of arena and every error take
     * {@link #allocateSlowly}, which a caller that never meets them does not even compile.
     */
    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        ArenaMemory m = memory;
        if (!carveOnHotPath(m, byteSize, byteAlignment)) {
            if (owner != Thread.currentThread() || !Slabs.carvesValid(byteSize, byteAlignment)) {
                return allocateSlowly(byteSize, byteAlignment);
            }
            memory = m = ArenaMemory.carveSlowly(m, m == null ? origin(ledger, kind, createdAt) : null,
                    scopeArena.scope(), byteSize, byteAlignment, false);
        }
        return m.wrapLast(scopeArena, byteSize);
    }

    /**
     * The hot path: a block that a confined arena's owner carves from the current slab with its
     * stripe's credit ({@link ArenaMemory#tryCarve}). Only checks and a bump of the slab's free
     * range, with no call that C2 does not inline. Returns whether it carved the block, charged and
     * committed, as the record's last; {@code false} for everything else (no slab yet, no room in
     * it, a closed arena, no credit, and every argument that is not plainly valid), having changed
     * nothing.
     */
    private boolean carveOnHotPath(ArenaMemory m, long byteSize, long byteAlignment) {
        if (m == null || owner != Thread.currentThread() || Faults.ENABLED
                || !Slabs.carvesValid(byteSize, byteAlignment)) {
            return false;
        }
        return m.tryCarve(byteSize, Math.max(byteAlignment, Slabs.MIN_ALIGNMENT));
    }

    /**
     * The whole pipeline, for what {@link #allocate} does not carve: bad arguments, another thread
     * than a confined arena's owner, blocks too large to carve, shared and automatic arenas.
     */
    private MemorySegment allocateSlowly(long byteSize, long byteAlignment) {
        NativeBlocks.validate(byteSize, byteAlignment);
        checkUsable();
        if (!Slabs.carves(byteSize, byteAlignment)) {
            return allocateOnItsOwn(byteSize, byteAlignment);
        }
        // A carvable block here is a shared or automatic arena's: a confined arena's owner asking
        // for a valid block that slabs carve took allocate()'s own slow path, and any other thread
        // was refused by checkUsable().
        return carveShared(byteSize, byteAlignment);
    }

    /** A carved block for any thread of a shared or automatic arena, under the record's monitor. */
    private MemorySegment carveShared(long size, long requestedAlignment) {
        ArenaMemory m = memory();
        ledger.reserve(size);
        synchronized (m) { // the carve cancels the reservation if another thread closed the arena since
            return ArenaMemory.carveSlowly(m, null, scopeArena.scope(), size, requestedAlignment, true)
                    .wrapLast(scopeArena, size);
        }
    }

    /** Allocates a block too large to carve: malloc'ed (or posix_memalign'ed) on its own, as a whole. */
    private MemorySegment allocateOnItsOwn(long size, long alignment) {
        ArenaMemory m = memory();
        long address = NativeBlocks.allocate(ledger, size, alignment);
        boolean owned = false;
        try {
            MemorySegment segment = wrap(address, size);
            if (owner != null) {
                m.addBlock(address, size);
                owned = true;
            } else {
                synchronized (m) {
                    if (!scopeArena.scope().isAlive()) {
                        throw Errors.arenaClosed(kind.label); // closed by another thread since checkUsable()
                    }
                    m.addBlock(address, size);
                    owned = true;
                }
            }
            return segment;
        } finally {
            if (!owned) {
                NativeBlocks.discard(ledger, address, size);
            }
        }
    }

    private MemorySegment wrap(long address, long size) {
        MemorySegment segment = MemorySegment.ofAddress(address).reinterpret(size, scopeArena, null);
        Faults.check(Faults.Point.WRAP);
        return segment;
    }

    /** Registers the record of a shared or automatic arena's memory, at its first allocation or mapping. */
    private ArenaMemory registerShared() {
        synchronized (this) { // close() takes it too: no record is registered after the arena closed
            if (memory == null) {
                if (!scopeArena.scope().isAlive()) {
                    throw Errors.arenaClosed(kind.label);
                }
                memory = ArenaMemory.register(scopeArena.scope(), origin(ledger, kind, createdAt));
            }
            return memory;
        }
    }

    /** Registers the record of this arena's memory, at its first allocation or mapping, if it has none. */
    private ArenaMemory memory() {
        ArenaMemory m = memory;
        if (m != null) {
            return m;
        }
        if (owner == null) {
            return registerShared();
        }
        return memory = ArenaMemory.register(scopeArena.scope(), origin(ledger, kind, createdAt));
    }

    private static ArenaMemory.Origin origin(Ledger ledger, Kind kind, Throwable createdAt) {
        if (createdAt != null) {
            return new ArenaMemory.Origin(ledger, kind.label, kind != Kind.AUTO, kind != Kind.CONFINED, createdAt);
        }
        Origins cached = origins;
        if (cached == null || cached.ledger != ledger) {
            origins = cached = new Origins(ledger);
        }
        return cached.byKind[kind.ordinal()];
    }

    /** The origins of the untraced arenas of one ledger, one per kind: shared by all of them. */
    private static final class Origins {
        final Ledger ledger;
        final ArenaMemory.Origin[] byKind = new ArenaMemory.Origin[Kind.values().length];

        Origins(Ledger ledger) {
            this.ledger = ledger;
            for (Kind kind : Kind.values()) {
                byKind[kind.ordinal()] = new ArenaMemory.Origin(ledger, kind.label, kind != Kind.AUTO,
                        kind != Kind.CONFINED, null);
            }
        }
    }

    // The origins of the ledger the last arena registered with: the process's, outside tests.
    // Published racily, which is safe: the fields are final, and a thread that misses it makes its own.
    private static Origins origins;

    @Override
    public NativeBuffer allocateBuffer(long capacity, long alignment) {
        // allocate() validates the capacity and the alignment.
        return new NativeBuffer(allocate(capacity, alignment), this, NativeBlocks.effectiveAlignment(alignment));
    }

    @Override
    public MappedNativeBuffer map(Path file, FileChannel.MapMode mode, long offset, long length) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(mode, "mode");
        FileMapper.validate(offset, length);
        checkUsable();
        ArenaMemory m = memory();
        FileMapper.Region region = FileMapper.map(file, mode, offset, length);
        boolean owned = region.span() == 0;
        try {
            MemorySegment mapping = MemorySegment.ofAddress(region.base()).reinterpret(region.span(), scopeArena, null);
            if (!owned) {
                if (owner != null) {
                    m.addMapping(region.base(), region.span(), length);
                    owned = true;
                } else {
                    synchronized (m) {
                        if (!scopeArena.scope().isAlive()) {
                            throw Errors.arenaClosed(kind.label); // closed by another thread since checkUsable()
                        }
                        m.addMapping(region.base(), region.span(), length);
                        owned = true;
                    }
                }
            }
            MemorySegment exposed = mapping.asSlice(region.delta(), length);
            if (mode == FileChannel.MapMode.READ_ONLY) {
                exposed = exposed.asReadOnly();
            }
            return new MappedNativeBuffer(exposed, mapping, mode, this);
        } finally {
            if (!owned) {
                FileMapper.unmap(region.base(), region.span(), length);
            }
        }
    }

    @Override
    public MemorySegment.Scope scope() {
        return scopeArena.scope();
    }

    /**
     * The owner closing a confined arena, or {@link #closeSlowly}. 29 bytes of bytecode, and few
     * slots of stack: C1 inlines it into its callers, so C2 never compiles it on its own, and no
     * compiled copy too large to inline can keep a caller from inlining it (see the class comment).
     */
    @Override
    public void close() {
        if (owner != Thread.currentThread()) { // a shared or automatic arena, or another thread
            closeSlowly();
            return;
        }
        scopeArena.close(); // checks a double close; kills every view
        freeOnClose();
    }

    /** After a confined arena's scope closed: nothing fits any more, and the record frees the memory. */
    private void freeOnClose() {
        ArenaMemory m = memory;
        if (m != null) {
            m.stopCarving(); // allocate() then takes its slow path, which throws
            m.runOnClose(scopeArena.scope()); // the scope closed just above: this close is the only one
        }
    }

    /**
     * Closes a shared arena, under its monitor; refuses an automatic arena, and a confined one
     * closed from another thread.
     */
    private void closeSlowly() {
        if (kind == Kind.AUTO) {
            throw Errors.autoArenaClose();
        }
        if (owner != null) {
            throw Errors.wrongThread(owner);
        }
        ArenaMemory m;
        synchronized (this) { // no record registers after this: register() checks the scope under it
            scopeArena.close();
            m = memory;
        }
        if (m != null) {
            m.runOnClose(scopeArena.scope()); // the scope closed just above: this close is the only one
        }
    }

    @Override
    public void closeBuffer() {
        // The arena frees its blocks when it closes: a buffer's close() has nothing to do.
    }

    @Override
    public RuntimeException accessRefused(RuntimeException refused) {
        if (refused instanceof WrongThreadException && owner != null) {
            return Errors.wrongThread(owner);
        }
        if (refused instanceof IllegalStateException && !scopeArena.scope().isAlive()) {
            return Errors.freed("its " + kind.label + " arena was closed", refused);
        }
        return refused;
    }

    private void checkUsable() {
        if (owner != null && owner != Thread.currentThread()) {
            throw Errors.wrongThread(owner);
        }
        if (!scopeArena.scope().isAlive()) {
            throw Errors.arenaClosed(kind.label);
        }
    }

    /** The current slab's start and end, {@code null} before the first; for tests, on the owner thread. */
    long[] currentSlab() {
        ArenaMemory m = memory;
        return m == null || m.slab() == 0 ? null : new long[] {m.slab(), m.slabEnd()};
    }

    @Override
    public String toString() {
        ArenaMemory m = memory;
        return "NativeArena[kind=" + kind + " blocks=" + (m == null ? 0 : m.count()) + " bytes="
                + (m == null ? 0 : m.bytes()) + " alive=" + scopeArena.scope().isAlive() + "]";
    }
}
