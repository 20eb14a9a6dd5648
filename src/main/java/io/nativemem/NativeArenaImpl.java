package io.nativemem;

import io.nativemem.internal.ArenaCleanup;
import io.nativemem.internal.BlockList;
import io.nativemem.internal.Errors;
import io.nativemem.internal.Faults;
import io.nativemem.internal.FileMapper;
import io.nativemem.internal.Ledger;
import io.nativemem.internal.NativeBlocks;

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
 * throw {@link IllegalStateException}, and the JDK checks owner threads for us. The blocks
 * themselves are ours: recorded in a {@link BlockList}, freed by an {@link ArenaCleanup} that
 * watches the scope, explicitly on {@link #close()} or by the GC when nobody can reach the scope.
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
    private final BlockList blocks;
    private final ArenaCleanup cleanup;
    private final Thread owner;

    private NativeArenaImpl(Kind kind, Ledger ledger, Arena scopeArena) {
        this.kind = kind;
        this.ledger = ledger;
        this.scopeArena = scopeArena;
        this.blocks = kind == Kind.CONFINED ? BlockList.confined(ledger) : BlockList.concurrent(ledger);
        this.owner = kind == Kind.CONFINED ? Thread.currentThread() : null;
        this.cleanup = new ArenaCleanup(scopeArena.scope(), blocks, kind.label, kind != Kind.AUTO);
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

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        NativeBlocks.validate(byteSize, byteAlignment);
        checkUsable();
        long address = NativeBlocks.allocate(ledger, byteSize, byteAlignment);
        boolean owned = false;
        try {
            MemorySegment segment = MemorySegment.ofAddress(address).reinterpret(byteSize, scopeArena, null);
            Faults.check(Faults.Point.WRAP);
            owned = blocks.add(address, byteSize);
            if (!owned) {
                throw Errors.alreadyClosed(); // closed by another thread since checkUsable()
            }
            return segment;
        } finally {
            if (!owned) {
                NativeBlocks.discard(ledger, address, byteSize);
            }
        }
    }

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
        FileMapper.Region region = FileMapper.map(file, mode, offset, length);
        boolean owned = region.span() == 0;
        try {
            MemorySegment mapping = MemorySegment.ofAddress(region.base()).reinterpret(region.span(), scopeArena, null);
            if (!owned) {
                owned = blocks.addMapping(region.base(), region.span(), length);
                if (!owned) {
                    throw Errors.alreadyClosed(); // closed by another thread since checkUsable()
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

    @Override
    public void close() {
        if (kind == Kind.AUTO) {
            throw Errors.autoArenaClose();
        }
        if (owner != null && owner != Thread.currentThread()) {
            throw Errors.wrongThread(owner);
        }
        scopeArena.close(); // checks double close; kills every view
        cleanup.runExplicitly();
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
            throw Errors.alreadyClosed();
        }
    }

    @Override
    public String toString() {
        return "NativeArena[kind=" + kind + " blocks=" + blocks.count() + " bytes=" + blocks.bytes()
                + " alive=" + scopeArena.scope().isAlive() + "]";
    }
}
