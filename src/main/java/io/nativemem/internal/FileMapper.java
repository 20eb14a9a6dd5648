package io.nativemem.internal;

import io.nativemem.internal.libc.Libc;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Maps file regions with libc {@code mmap} and unmaps them with {@code munmap}; also
 * {@code msync}, {@code madvise} and {@code mincore} for {@code MappedNativeBuffer}.
 *
 * <p>Every call that can fail is made through a handle that captures {@code errno} (rebuilt from
 * the generated address and descriptor with {@link Linker.Option#captureCallState}): reading
 * {@code errno} after a plain downcall may see a value the JVM itself left there.
 */
public final class FileMapper {

    /** The system's page size ({@code sysconf(_SC_PAGESIZE)}). */
    public static final long PAGE_SIZE = Libc.sysconf(Libc._SC_PAGESIZE());

    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle OPEN = capturing(Libc.open.address(),
            Libc.open.makeInvoker(Libc.C_INT).descriptor(), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle FTRUNCATE = capturing(Libc.ftruncate$address(), Libc.ftruncate$descriptor());
    private static final MethodHandle MMAP = capturing(Libc.mmap$address(), Libc.mmap$descriptor());
    private static final MethodHandle MUNMAP = capturing(Libc.munmap$address(), Libc.munmap$descriptor());
    private static final MethodHandle MSYNC = capturing(Libc.msync$address(), Libc.msync$descriptor());
    private static final MethodHandle MADVISE = capturing(Libc.madvise$address(), Libc.madvise$descriptor());
    private static final MethodHandle MINCORE = capturing(Libc.mincore$address(), Libc.mincore$descriptor());


    private FileMapper() {
    }

    private static MethodHandle capturing(MemorySegment address, FunctionDescriptor descriptor, Linker.Option... more) {
        Linker.Option[] options = java.util.Arrays.copyOf(more, more.length + 1);
        options[more.length] = Linker.Option.captureCallState("errno");
        return Linker.nativeLinker().downcallHandle(address, descriptor, options);
    }

    /** A mapping: {@code base} and {@code span} as mmap saw them, {@code delta} from base to the first requested byte. */
    public record Region(long base, long span, long delta) {
    }

    /**
     * Checks a region's bounds.
     *
     * @throws IllegalArgumentException naming the value, for a negative offset or length or an
     *     end past {@code Long.MAX_VALUE}
     */
    public static void validate(long offset, long length) {
        if (offset < 0) {
            throw Errors.invalidSize("offset", offset);
        }
        if (length < 0) {
            throw Errors.invalidSize("length", length);
        }
        if (length > Long.MAX_VALUE - offset) {
            throw new IllegalArgumentException("Invalid region: offset=" + offset + " length=" + length
                    + " (ends past " + Long.MAX_VALUE + ")");
        }
    }

    /**
     * Opens {@code file}, grows it first for {@code READ_WRITE} when the region ends past its end,
     * maps the page-aligned span around the region, and closes the descriptor again.
     *
     * @throws IOException naming the file and the reason, with nothing left mapped or open
     */
    public static Region map(Path file, FileChannel.MapMode mode, long offset, long length) throws IOException {
        boolean writable = mode == FileChannel.MapMode.READ_WRITE;
        if (mode != FileChannel.MapMode.READ_ONLY && !writable && mode != FileChannel.MapMode.PRIVATE) {
            throw new IllegalArgumentException("Unsupported map mode: " + mode);
        }
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString());
        }
        if (Files.isDirectory(file)) {
            throw new IOException("Cannot map " + file + ": it is a directory");
        }
        if (writable && !Files.isWritable(file)) {
            throw new AccessDeniedException(file.toString(), null, "not writable, cannot map READ_WRITE");
        }
        long end = offset + length;
        long size = Files.size(file);
        if (!writable && end > size) {
            throw new IOException("Cannot map " + file + " " + mode + ": region [" + offset + ", " + end
                    + ") ends past the end of the file (size=" + size + ")");
        }
        long delta = offset % PAGE_SIZE;
        long span = length + delta;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = call.allocate(CAPTURE);
            int flags = (writable ? Libc.O_RDWR() : Libc.O_RDONLY()) | Libc.O_CLOEXEC();
            int fd = (int) OPEN.invokeExact(errno, call.allocateFrom(file.toString()), flags, 0);
            if (fd < 0) {
                throw failure("open", file, errno);
            }
            try {
                if (writable && end > size && (int) FTRUNCATE.invokeExact(errno, fd, end) != 0) {
                    throw failure("ftruncate to " + end + " bytes", file, errno);
                }
                if (length == 0) {
                    return new Region(0, 0, 0);
                }
                int prot = mode == FileChannel.MapMode.READ_ONLY ? Libc.PROT_READ() : Libc.PROT_READ() | Libc.PROT_WRITE();
                int share = mode == FileChannel.MapMode.PRIVATE ? Libc.MAP_PRIVATE() : Libc.MAP_SHARED();
                MemorySegment base = (MemorySegment) MMAP.invokeExact(errno, MemorySegment.NULL, span, prot, share, fd,
                        offset - delta);
                if (Faults.ENABLED && Faults.fire(Faults.Point.MAP)) {
                    int ignored = (int) MUNMAP.invokeExact(errno, base, span);
                    ERRNO.set(errno, 0L, 12); // ENOMEM, as mmap would say
                    base = Libc.MAP_FAILED();
                }
                if (base.address() == Libc.MAP_FAILED().address()) {
                    throw failure("mmap of " + span + " bytes at file offset " + (offset - delta), file, errno);
                }
                MappedTally.mapped(length);
                BufferPools.registerLazily();
                return new Region(base.address(), span, delta);
            } finally {
                int ignored = Libc.close(fd);
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw LibcAllocator.rethrow(t);
        }
    }

    /** Unmaps a region that {@link #map} returned; an empty region was never mapped. */
    public static void unmap(long base, long span, long length) {
        if (span == 0) {
            return;
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = call.allocate(CAPTURE);
            int rc;
            if (Faults.ENABLED && Faults.fire(Faults.Point.UNMAP)) {
                ERRNO.set(errno, 0L, 22); // EINVAL, as munmap would say
                rc = -1;
            } else {
                rc = (int) MUNMAP.invokeExact(errno, MemorySegment.ofAddress(base), span);
            }
            if (rc != 0) {
                throw new IllegalStateException("munmap(0x" + Long.toHexString(base) + ", " + span + ") failed: "
                        + describe(errno));
            }
        } catch (Throwable t) {
            throw LibcAllocator.rethrow(t);
        } finally {
            MappedTally.unmapped(length);
        }
    }

    /**
     * {@code msync(MS_SYNC)} over {@code [from, from + length)} of a mapped segment, widened to
     * whole pages. Passing the segment keeps its scope alive for the length of the call.
     */
    public static void sync(MemorySegment mapping, long from, long length) {
        long start = from - from % PAGE_SIZE;
        call("msync", MSYNC, mapping.asSlice(start), from + length - start, Libc.MS_SYNC());
    }

    /** {@code madvise(MADV_WILLNEED)} over a whole mapped segment. */
    public static void adviseWillNeed(MemorySegment mapping) {
        call("madvise", MADVISE, mapping, mapping.byteSize(), Libc.MADV_WILLNEED());
    }

    /** Whether every page of a mapped segment is resident, by {@code mincore}. */
    public static boolean isResident(MemorySegment mapping) {
        long pages = (mapping.byteSize() + PAGE_SIZE - 1) / PAGE_SIZE;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = call.allocate(CAPTURE);
            MemorySegment vector = call.allocate(pages);
            int rc = (int) MINCORE.invokeExact(errno, mapping, mapping.byteSize(), vector);
            if (rc != 0) {
                throw new IllegalStateException("mincore failed: " + describe(errno));
            }
            for (long i = 0; i < pages; i++) {
                if ((vector.get(ValueLayout.JAVA_BYTE, i) & 1) == 0) {
                    return false;
                }
            }
            return true;
        } catch (Throwable t) {
            throw LibcAllocator.rethrow(t);
        }
    }

    private static void call(String name, MethodHandle handle, MemorySegment address, long length, int flag) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = call.allocate(CAPTURE);
            int rc = (int) handle.invokeExact(errno, address, length, flag);
            if (rc != 0) {
                throw new IllegalStateException(name + "(0x" + Long.toHexString(address.address()) + ", " + length
                        + ") failed: " + describe(errno));
            }
        } catch (Throwable t) {
            throw LibcAllocator.rethrow(t);
        }
    }

    private static IOException failure(String what, Path file, MemorySegment errno) {
        int code = (int) ERRNO.get(errno, 0L);
        String message = "Cannot map " + file + ": " + what + " failed: " + describe(errno);
        return code == 2 ? new NoSuchFileException(file.toString(), null, message)
                : code == 13 ? new AccessDeniedException(file.toString(), null, message)
                : new IOException(message);
    }

    private static String describe(MemorySegment errno) {
        int code = (int) ERRNO.get(errno, 0L);
        return Libc.strerror(code).reinterpret(256).getString(0) + " (errno " + code + ")";
    }
}
