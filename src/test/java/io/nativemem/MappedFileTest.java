package io.nativemem;

import io.nativemem.forked.TruncatedMappingProbe;
import io.nativemem.testing.ForkedJvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Files mapped with libc mmap, checked against the same file read back through FileChannel. */
class MappedFileTest {

    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private Path file;
    private byte[] content;
    private long mappedCountBefore;
    private long mappedMemoryBefore;

    @BeforeEach
    void writeFile() throws IOException {
        content = new byte[5 * 4096 + 123];
        new Random(42).nextBytes(content);
        file = Files.write(dir.resolve("data.bin"), content);
        mappedCountBefore = NativeMemory.stats().mappedCount();
        mappedMemoryBefore = NativeMemory.stats().mappedMemory();
    }

    @AfterEach
    void nothingStaysMapped() {
        assertEquals(mappedCountBefore, NativeMemory.stats().mappedCount());
        assertEquals(mappedMemoryBefore, NativeMemory.stats().mappedMemory());
    }

    private static byte[] readFile(Path path, long position, int length) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer bytes = ByteBuffer.allocate(length);
            while (bytes.hasRemaining() && channel.read(bytes, position + bytes.position()) > 0) {
                // keep reading
            }
            return bytes.array();
        }
    }

    @Test
    void mapWithoutARegionMapsTheWholeFile() throws IOException {
        try (NativeArena arena = NativeArena.ofConfined()) {
            MappedNativeBuffer whole = arena.map(file, FileChannel.MapMode.READ_ONLY);
            assertEquals(content.length, whole.capacity());
            byte[] read = new byte[content.length];
            whole.get(read);
            assertArrayEquals(content, read);
            assertTrue(whole.isReadOnly());
            assertEquals(0, arena.map(Files.createFile(dir.resolve("empty")), FileChannel.MapMode.READ_WRITE).capacity());
            assertThrows(NoSuchFileException.class, () -> arena.map(dir.resolve("missing"), FileChannel.MapMode.READ_ONLY));
        }
    }

    @Test
    void readWriteRoundTripsThroughTheFile() throws IOException {
        try (NativeArena arena = NativeArena.ofConfined()) {
            MappedNativeBuffer mapped = arena.map(file, FileChannel.MapMode.READ_WRITE, 0, content.length);
            assertEquals(content.length, mapped.capacity());
            assertEquals(FileChannel.MapMode.READ_WRITE, mapped.mode());
            byte[] seen = new byte[content.length];
            mapped.get(seen);
            assertArrayEquals(content, seen);
            assertEquals(mappedCountBefore + 1, NativeMemory.stats().mappedCount());
            assertEquals(mappedMemoryBefore + content.length, NativeMemory.stats().mappedMemory());
            long capacityBefore = NativeMemory.stats().totalCapacity();
            mapped.putLong(4000, 0x1122334455667788L).put(content.length - 1, (byte) 7);
            mapped.force();
            mapped.force(4000, 8);
            assertEquals(capacityBefore, NativeMemory.stats().totalCapacity(), "mapped bytes are not charged");
        }
        byte[] after = readFile(file, 0, content.length);
        assertEquals(0x1122334455667788L, ByteBuffer.wrap(after).getLong(4000));
        assertEquals(7, after[content.length - 1]);
    }

    @ParameterizedTest
    @CsvSource({"1, 100", "4095, 2", "4097, 8000", "13, 20000", "8192, 4096", "20000, 603"})
    void anyOffsetExposesExactlyTheRequestedBytes(long offset, int length) throws IOException {
        try (NativeArena arena = NativeArena.ofShared()) {
            MappedNativeBuffer mapped = arena.map(file, FileChannel.MapMode.READ_ONLY, offset, length);
            assertEquals(length, mapped.capacity());
            byte[] seen = new byte[length];
            mapped.get(seen);
            assertArrayEquals(readFile(file, offset, length), seen);
            assertThrows(IndexOutOfBoundsException.class, () -> mapped.get(length));
        }
    }

    @Test
    void readOnlyRefusesWritesAndPrivateWritesNeverReachTheFile() throws IOException {
        try (NativeArena arena = NativeArena.ofConfined()) {
            MappedNativeBuffer readOnly = arena.map(file, FileChannel.MapMode.READ_ONLY, 0, 4096);
            assertTrue(readOnly.isReadOnly());
            assertThrows(ReadOnlyBufferException.class, () -> readOnly.put(0, (byte) 1));
            // The JDK's own contract for a write through a read-only segment.
            assertThrows(IllegalArgumentException.class,
                    () -> readOnly.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
            readOnly.force(); // nothing to write back: no error

            MappedNativeBuffer copy = arena.map(file, FileChannel.MapMode.PRIVATE, 4096, 4096);
            assertFalse(copy.isReadOnly());
            copy.putInt(0, 0xDEADBEEF);
            copy.force();
            assertEquals(0xDEADBEEF, copy.getInt(0));
            MappedNativeBuffer shared = arena.map(file, FileChannel.MapMode.READ_ONLY, 4096, 4);
            assertEquals(ByteBuffer.wrap(content, 4096, 4).getInt(), shared.getInt(0), "other mappings do not see it");
        }
        assertArrayEquals(content, Files.readAllBytes(file), "the file is untouched");
    }

    @Test
    void readWritePastTheEndGrowsTheFileFirst() throws IOException {
        long end = content.length + 10_000L;
        try (NativeArena arena = NativeArena.ofConfined()) {
            MappedNativeBuffer mapped = arena.map(file, FileChannel.MapMode.READ_WRITE, content.length, 10_000);
            assertEquals(end, Files.size(file));
            assertEquals(0, mapped.getLong(9_992));
            mapped.putLong(9_992, 99);
            mapped.force();
        }
        assertEquals(99, ByteBuffer.wrap(readFile(file, end - 8, 8)).getLong());
    }

    @Test
    void readOnlyOrPrivatePastTheEndFailsBeforeAnythingIsMapped() {
        try (NativeArena arena = NativeArena.ofConfined()) {
            for (FileChannel.MapMode mode : List.of(FileChannel.MapMode.READ_ONLY, FileChannel.MapMode.PRIVATE)) {
                IOException e = assertThrows(IOException.class, () -> arena.map(file, mode, 4096, content.length));
                assertTrue(e.getMessage().contains("size=" + content.length), e.getMessage());
                assertEquals(mappedCountBefore, NativeMemory.stats().mappedCount());
            }
        }
    }

    @Test
    void mappingsLargerThan2GiBUseLongIndices() throws IOException {
        Path sparse = dir.resolve("sparse.bin");
        long size = (3L << 30) + 5;
        try (RandomAccessFile raf = new RandomAccessFile(sparse.toFile(), "rw")) {
            raf.setLength(size);
        }
        try (NativeArena arena = NativeArena.ofConfined()) {
            MappedNativeBuffer mapped = arena.map(sparse, FileChannel.MapMode.READ_WRITE, 0, size);
            assertEquals(size, mapped.capacity());
            assertEquals(0, mapped.getLong(size - 8));
            mapped.putLong(size - 8, 0x0A0B0C0D0E0F1011L).putInt((1L << 31) + 1, 77);
            mapped.force(size - 8, 8).force((1L << 31) + 1, 4);
        }
        assertEquals(0x0A0B0C0D0E0F1011L, ByteBuffer.wrap(readFile(sparse, size - 8, 8)).getLong());
        assertEquals(77, ByteBuffer.wrap(readFile(sparse, (1L << 31) + 1, 4)).getInt());
    }

    @Test
    void closingUnmapsOnceAndEveryViewDies() throws IOException {
        NativeArena arena = NativeArena.ofShared();
        MappedNativeBuffer mapped = arena.map(file, FileChannel.MapMode.READ_WRITE, 10, 5000);
        NativeBuffer slice = mapped.slice(100, 100);
        MemorySegment segment = mapped.segment();
        ByteBuffer nio = mapped.asByteBuffer();
        assertEquals(mappedCountBefore + 1, NativeMemory.stats().mappedCount());
        arena.close();
        assertEquals(mappedCountBefore, NativeMemory.stats().mappedCount());
        assertThrows(IllegalStateException.class, () -> mapped.get(0));
        assertThrows(IllegalStateException.class, () -> slice.get(0));
        assertThrows(IllegalStateException.class, () -> segment.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> nio.get(0));
        assertThrows(IllegalStateException.class, mapped::force);
        assertThrows(IllegalStateException.class, mapped::load);
        assertThrows(IllegalStateException.class, mapped::isLoaded);
        assertThrows(IllegalStateException.class, () -> arena.map(file, FileChannel.MapMode.READ_ONLY, 0, 1));
    }

    @Test
    void loadMakesTheRegionResident() throws IOException {
        try (NativeArena arena = NativeArena.ofConfined()) {
            MappedNativeBuffer mapped = arena.map(file, FileChannel.MapMode.READ_ONLY, 100, content.length - 100);
            assertTrue(mapped.load().isLoaded());
        }
    }

    @Test
    void anEmptyRegionMapsNothing() throws IOException {
        try (NativeArena arena = NativeArena.ofConfined()) {
            MappedNativeBuffer empty = arena.map(file, FileChannel.MapMode.READ_ONLY, 7, 0);
            assertEquals(0, empty.capacity());
            assertTrue(empty.load().isLoaded());
            empty.force();
            assertEquals(mappedCountBefore, NativeMemory.stats().mappedCount());
        }
    }

    @Test
    void anAutoArenasMappingIsUnmappedByTheGc() throws IOException {
        NativeArena.ofAuto().map(file, FileChannel.MapMode.READ_ONLY, 0, 4096).getLong(0);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (NativeMemory.stats().mappedCount() != mappedCountBefore && System.nanoTime() < deadline) {
            System.gc();
            Thread.onSpinWait();
        }
        assertEquals(mappedCountBefore, NativeMemory.stats().mappedCount());
    }

    @Test
    void badArgumentsFailClearlyWithNothingMapped() throws IOException {
        try (NativeArena arena = NativeArena.ofConfined()) {
            IllegalArgumentException negativeOffset = assertThrows(IllegalArgumentException.class,
                    () -> arena.map(file, FileChannel.MapMode.READ_ONLY, -1, 10));
            assertTrue(negativeOffset.getMessage().contains("offset: -1"), negativeOffset.getMessage());
            IllegalArgumentException negativeLength = assertThrows(IllegalArgumentException.class,
                    () -> arena.map(file, FileChannel.MapMode.READ_ONLY, 0, -5));
            assertTrue(negativeLength.getMessage().contains("length: -5"), negativeLength.getMessage());
            IllegalArgumentException overflow = assertThrows(IllegalArgumentException.class,
                    () -> arena.map(file, FileChannel.MapMode.READ_WRITE, Long.MAX_VALUE, 2));
            assertTrue(overflow.getMessage().contains("offset=" + Long.MAX_VALUE), overflow.getMessage());
            assertThrows(NoSuchFileException.class,
                    () -> arena.map(dir.resolve("missing"), FileChannel.MapMode.READ_ONLY, 0, 1));
            IOException directory = assertThrows(IOException.class,
                    () -> arena.map(dir, FileChannel.MapMode.READ_ONLY, 0, 1));
            assertTrue(directory.getMessage().contains("directory"), directory.getMessage());
            assertThrows(NullPointerException.class, () -> arena.map(null, FileChannel.MapMode.READ_ONLY, 0, 1));
            assertThrows(NullPointerException.class, () -> arena.map(file, null, 0, 1));
            assertEquals(mappedCountBefore, NativeMemory.stats().mappedCount());
        }
    }

    @Test
    void aFileThatCannotBeWrittenIsRefusedForReadWrite() throws Exception {
        Path locked = Files.write(dir.resolve("locked.bin"), new byte[8192]);
        boolean root = "0".equals(ForkedJvm.runCommand(TEN_SECONDS, List.of("id", "-u")).output().strip());
        // root may write any file that is merely read-only; an immutable one it may not.
        if (root) {
            ForkedJvm.Result lock = ForkedJvm.runCommand(TEN_SECONDS, List.of("chattr", "+i", locked.toString()));
            assertEquals(0, lock.exitCode(), "chattr +i: " + lock);
        } else {
            assertTrue(locked.toFile().setWritable(false));
        }
        try (NativeArena arena = NativeArena.ofConfined()) {
            AccessDeniedException e = assertThrows(AccessDeniedException.class,
                    () -> arena.map(locked, FileChannel.MapMode.READ_WRITE, 0, 8192));
            assertTrue(e.getMessage().contains("locked.bin"), e.getMessage());
            assertEquals(mappedCountBefore, NativeMemory.stats().mappedCount());
            assertEquals(0, arena.map(locked, FileChannel.MapMode.READ_ONLY, 0, 8192).getLong(0));
        } finally {
            if (root) {
                ForkedJvm.runCommand(TEN_SECONDS, List.of("chattr", "-i", locked.toString()));
            }
        }
    }

    @Test
    void aFileTruncatedUnderItsMappingGivesAnExceptionNotACrash() {
        ForkedJvm.Result result = ForkedJvm.run(List.of(), TruncatedMappingProbe.class, dir.resolve("t.bin").toString());
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.output().contains("get past the new end: java.lang.InternalError"), result.toString());
        assertTrue(result.output().contains("bulk get past the new end: java.lang.InternalError"), result.toString());
        assertTrue(result.output().contains("before the new end: 7"), result.toString());
        assertTrue(result.output().contains("still running"), result.toString());
    }
}
