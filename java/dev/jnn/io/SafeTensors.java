package dev.jnn.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jnn.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reader and writer of the safetensors format (Hugging Face's; readable with Python's
 * {@code safetensors.torch.load_file}), float32 tensors only.
 *
 * <p>Layout: an 8-byte little-endian unsigned header length N; N bytes of UTF-8 JSON
 * {@code {"__metadata__": {string: string}, "name": {"dtype": "F32", "shape": [...],
 * "data_offsets": [begin, end]}, ...}}, padded with spaces so the data starts 8-byte aligned;
 * then the tensors' raw little-endian bytes, offsets relative to the start of the data, packed
 * without gaps in offset order.
 *
 * <p><b>Writes are atomic</b>: the file is written to a temporary file in the same directory,
 * forced to disk, then renamed over the target ({@code ATOMIC_MOVE}), and the directory is
 * synced; a crash or an exception mid-write leaves the previous file intact (and no temporary
 * file behind, except after a crash of the JVM itself).
 *
 * <p><b>Reads validate everything</b> before returning a single value, with an
 * {@link IOException} naming the file and the problem: a file shorter than its header, a header
 * length beyond the file, JSON that does not parse (or has duplicate keys), a header that is not
 * an object, a dtype other than F32, a bad shape, offsets out of range, overlapping or leaving
 * gaps, a byte range that does not match the shape, a metadata value that is not a string, a
 * header that is not valid UTF-8 or has bytes after its JSON object other than the padding.
 *
 * <p><b>Checksums</b>: every file jnn writes holds, in the metadata key {@value #KEY_CHECKSUMS},
 * a CRC32C of each tensor's bytes and one of the other metadata entries (keys sorted, each key
 * and value followed by a NUL byte), as JSON {@code {"algorithm": "CRC32C", "metadata": "8 hex
 * digits", "tensors": {"name": "8 hex digits", ...}}}. {@link #read} verifies them and names the
 * tensor (or the metadata) and the file on a mismatch. A file without that key (written by
 * another tool, or by jnn before checksums) loads without verification, with one warning per
 * file on the {@code dev.jnn} logger.
 */
public final class SafeTensors {
  private SafeTensors() {}

  /** Largest header accepted on reading (as the reference implementation: 100 MB). */
  public static final long MAX_HEADER_BYTES = 100_000_000L;

  static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** The metadata key of the checksums jnn writes. */
  public static final String KEY_CHECKSUMS = "jnn.checksums";
  private static final String ALGORITHM = "CRC32C";
  /** Files read without checksums, warned about once each. */
  private static final java.util.Set<Path> WARNED = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** A test hook: called with the temporary file after all bytes are written and before it is synced and renamed. */
  interface WriteHook {
    void beforeCommit(Path tmp) throws IOException;
  }

  /** Fault injection for tests (package-private): null in production. */
  static volatile WriteHook writeHook;

  /** One tensor read from a file. */
  public record Entry(String name, int[] shape, float[] data) {
    public Tensor toTensor() { return Tensor.of(data, shape); }
    @Override public String toString() { return name + Arrays.toString(shape); }
  }

  /**
   * What a file holds: its tensors (in offset order) and its metadata (without
   * {@value #KEY_CHECKSUMS}); {@code verified} when the file had checksums and they all matched.
   */
  public record Contents(Map<String, Entry> tensors, Map<String, String> metadata, boolean verified) {}

  /** Writes tensors (in the map's order) and metadata to path, atomically. Host tensors only. */
  public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(tensors, "tensors");
    ObjectNode header = JSON.createObjectNode();
    Map<String, String> meta = new LinkedHashMap<>();
    if (metadata != null)
      for (Map.Entry<String, String> e : metadata.entrySet()) meta.put(Objects.requireNonNull(e.getKey()), Objects.requireNonNull(e.getValue(), e.getKey()));
    if (meta.containsKey(KEY_CHECKSUMS)) throw new IllegalArgumentException("safetensors: the metadata key '" + KEY_CHECKSUMS + "' is reserved for jnn's checksums");
    ObjectNode sums = JSON.createObjectNode().put("algorithm", ALGORITHM).put("metadata", hex(metadataChecksum(meta)));
    ObjectNode tensorSums = sums.putObject("tensors");
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      Tensor t = Objects.requireNonNull(e.getValue(), e.getKey());
      if (t.device().isHost()) tensorSums.put(e.getKey(), hex(checksum(t.data(), t.offset(), t.size())));
    }
    meta.put(KEY_CHECKSUMS, JSON.writeValueAsString(sums));
    ObjectNode m = header.putObject("__metadata__");
    for (Map.Entry<String, String> e : meta.entrySet()) m.put(e.getKey(), e.getValue());
    long offset = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      String name = e.getKey();
      Tensor t = Objects.requireNonNull(e.getValue(), name);
      if (name.equals("__metadata__")) throw new IllegalArgumentException("safetensors: '__metadata__' is reserved and cannot name a tensor");
      if (!t.device().isHost()) throw new IllegalArgumentException("safetensors: tensor " + name + " is on " + t.device() + "; copy it to the host first");
      ObjectNode o = header.putObject(name);
      o.put("dtype", "F32");
      ArrayNode s = o.putArray("shape");
      for (int d : t.shape()) s.add(d);
      long end = offset + 4L * t.size();
      o.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    byte[] json = JSON.writeValueAsBytes(header);
    int padded = (json.length + 7) / 8 * 8;
    byte[] head = Arrays.copyOf(json, padded);
    Arrays.fill(head, json.length, padded, (byte) ' ');

    Path target = path.toAbsolutePath();
    Path dir = target.getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
    boolean committed = false;
    try {
      matchPermissions(tmp, target);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(padded);
        writeBytes(ch, buf, head);
        for (Tensor t : tensors.values()) {
          float[] d = t.data();
          for (int i = t.offset(), e = i + t.size(); i < e; i++) {
            if (buf.remaining() < 4) drain(ch, buf);
            buf.putFloat(d[i]);
          }
        }
        drain(ch, buf);
        WriteHook hook = writeHook;
        if (hook != null) hook.beforeCommit(tmp);
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException(target + ": the file system cannot rename atomically in " + dir + "; refusing a non-atomic checkpoint write", e);
      }
      committed = true;
      syncDirectory(dir);
    } finally {
      if (!committed) Files.deleteIfExists(tmp);
    }
  }

  /** createTempFile makes a private (0600) file: give it the permissions of the file it replaces, or rw-r--r-- for a new one. */
  private static void matchPermissions(Path tmp, Path target) throws IOException {
    if (!Files.getFileStore(tmp).supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class)) return;
    Files.setPosixFilePermissions(tmp, Files.exists(target) ? Files.getPosixFilePermissions(target)
        : java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
  }

  private static void writeBytes(FileChannel ch, ByteBuffer buf, byte[] bytes) throws IOException {
    int pos = 0;
    while (pos < bytes.length) {
      if (!buf.hasRemaining()) drain(ch, buf);
      int n = Math.min(buf.remaining(), bytes.length - pos);
      buf.put(bytes, pos, n);
      pos += n;
    }
  }

  private static void drain(FileChannel ch, ByteBuffer buf) throws IOException {
    buf.flip();
    while (buf.hasRemaining()) ch.write(buf);
    buf.clear();
  }

  /** fsync of the directory, so the rename itself survives a power loss (Linux; a no-op where directories cannot be opened). */
  private static void syncDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // not supported on this platform or file system: the data itself is already synced
    }
  }

  /** Reads and validates a safetensors file of F32 tensors. */
  public static Contents read(Path path) throws IOException { return read(path, false); }

  /**
   * Reads a state dict written by PyTorch or Hugging Face ({@code safetensors.torch.save_file}):
   * F32, F16 and BF16 tensors, the half-precision ones converted exactly to float32; otherwise
   * validated as {@link #read}.
   *
   * <pre>{@code
   * Map<String, SafeTensors.Entry> sd = SafeTensors.readStateDict(Path.of("model.safetensors")).tensors();
   * }</pre>
   */
  public static Contents readStateDict(Path path) throws IOException { return read(path, true); }

  private static Contents read(Path path, boolean halves) throws IOException {
    Objects.requireNonNull(path, "path");
    if (!Files.isRegularFile(path)) throw new NoSuchFileException(path.toString(), null, "checkpoint file not found");
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 8)
        throw bad(path, "truncated: " + size + " bytes; a safetensors file starts with an 8-byte header length");
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, lenBuf, 0, path);
      long n = lenBuf.getLong(0);
      if (n < 0 || n > size - 8)
        throw bad(path, "header length " + Long.toUnsignedString(n) + " goes beyond the end of the file (" + size + " bytes): truncated or corrupted file");
      if (n < 2) throw bad(path, "header length " + n + " is too small for a JSON object (corrupted file?)");
      if (n > MAX_HEADER_BYTES) throw bad(path, "header length " + n + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
      ByteBuffer hb = ByteBuffer.allocate((int) n);
      readFully(ch, hb, 8, path);
      JsonNode header;
      try {
        String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
            .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT).decode(ByteBuffer.wrap(hb.array())).toString();
        header = JSON.readTree(text);
      } catch (java.nio.charset.CharacterCodingException e) {
        throw bad(path, "corrupted header: not valid UTF-8 (" + e + ")");
      } catch (JsonProcessingException e) {
        throw bad(path, "corrupted header JSON: " + e.getOriginalMessage());
      }
      if (header == null || !header.isObject()) throw bad(path, "the header is not a JSON object");
      long dataLen = size - 8 - n;

      Map<String, String> metadata = new LinkedHashMap<>();
      List<Slot> slots = new ArrayList<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        String name = f.getKey();
        JsonNode v = f.getValue();
        if (name.equals("__metadata__")) {
          if (!v.isObject()) throw bad(path, "__metadata__ must be an object of strings");
          for (Iterator<Map.Entry<String, JsonNode>> mi = v.fields(); mi.hasNext(); ) {
            Map.Entry<String, JsonNode> m = mi.next();
            if (!m.getValue().isTextual()) throw bad(path, "__metadata__ value of '" + m.getKey() + "' is not a string");
            metadata.put(m.getKey(), m.getValue().textValue());
          }
          continue;
        }
        slots.add(slot(path, name, v, dataLen, halves));
      }
      slots.sort(Comparator.comparingLong(s -> s.begin));
      long expect = 0;
      for (Slot s : slots) {
        if (s.begin < expect)
          throw bad(path, "tensor '" + s.name + "' at data_offsets [" + s.begin + ", " + s.end + "] overlaps the tensor before it (which ends at " + expect + ")");
        if (s.begin > expect)
          throw bad(path, "gap in the data before tensor '" + s.name + "' (bytes [" + expect + ", " + s.begin + ") belong to no tensor)");
        expect = s.end;
      }
      if (expect != dataLen)
        throw bad(path, "the tensors cover " + expect + " bytes of data but the file holds " + dataLen + " after the header"
            + (expect > dataLen ? " (truncated file)" : " (trailing bytes)"));

      String sumsJson = metadata.remove(KEY_CHECKSUMS);
      Map<String, Long> sums = sumsJson == null ? null : checksums(path, sumsJson, metadata, slots);
      Map<String, Entry> tensors = new LinkedHashMap<>();
      long base = 8 + n;
      java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
      for (Slot s : slots) {
        int count = (int) ((s.end - s.begin) / s.width);
        ByteBuffer b = ByteBuffer.allocate(count * s.width).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, b, base + s.begin, path);
        if (sums != null) {
          crc.reset();
          crc.update(b.duplicate());
          long want = sums.get(s.name);
          if (crc.getValue() != want)
            throw bad(path, "tensor '" + s.name + "' fails its " + ALGORITHM + " checksum (stored " + hex(want) + ", computed " + hex(crc.getValue())
                + "): the file is corrupted");
        }
        float[] d = new float[count];
        if (s.width == 4) b.asFloatBuffer().get(d);
        else for (int i = 0; i < count; i++) d[i] = s.bf16 ? bf16ToFloat(b.getShort(2 * i)) : f16ToFloat(b.getShort(2 * i));
        tensors.put(s.name, new Entry(s.name, s.shape, d));
      }
      if (sums == null && WARNED.add(path.toAbsolutePath().normalize()))
        System.getLogger("dev.jnn").log(System.Logger.Level.WARNING, path + ": no jnn checksums (written by another tool or an older jnn): loaded "
            + "without verifying the tensors' bytes");
      return new Contents(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata), sums != null);
    }
  }

  /** Parses and checks the {@value #KEY_CHECKSUMS} entry against the metadata and the tensor names; the tensors' checksums by name. */
  private static Map<String, Long> checksums(Path path, String json, Map<String, String> metadata, List<Slot> slots) throws IOException {
    JsonNode s;
    try {
      s = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw bad(path, KEY_CHECKSUMS + " is not valid JSON (corrupted header): " + e.getOriginalMessage());
    }
    if (s == null || !s.isObject() || !ALGORITHM.equals(s.path("algorithm").asText(null)))
      throw bad(path, KEY_CHECKSUMS + " must be an object with algorithm " + ALGORITHM + " (corrupted header?)");
    long meta = parseHex(path, "metadata", s.get("metadata"));
    if (metadataChecksum(metadata) != meta)
      throw bad(path, "the metadata (architecture, loss, optimizer, training progress) fails its " + ALGORITHM + " checksum: the file is corrupted");
    JsonNode t = s.get("tensors");
    if (t == null || !t.isObject()) throw bad(path, KEY_CHECKSUMS + " has no tensors object (corrupted header?)");
    Map<String, Long> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = t.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), parseHex(path, "tensor '" + e.getKey() + "'", e.getValue()));
    }
    for (Slot slot : slots)
      if (!out.containsKey(slot.name)) throw bad(path, "tensor '" + slot.name + "' has no checksum in " + KEY_CHECKSUMS + " (corrupted header?)");
    if (out.size() != slots.size())
      throw bad(path, KEY_CHECKSUMS + " lists " + out.size() + " tensors but the file holds " + slots.size() + " (corrupted header?)");
    return out;
  }

  private static long parseHex(Path path, String what, JsonNode v) throws IOException {
    if (v == null || !v.isTextual() || !v.textValue().matches("[0-9a-f]{8}"))
      throw bad(path, "the checksum of " + what + " is not 8 hex digits: " + v + " (corrupted header?)");
    return Long.parseLong(v.textValue(), 16);
  }

  /** CRC32C of floats as the file stores them (little-endian). */
  static long checksum(float[] d, int offset, int count) {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = offset, e = offset + count; i < e; i++) {
      if (b.remaining() < 4) {
        b.flip();
        crc.update(b);
        b.clear();
      }
      b.putFloat(d[i]);
    }
    b.flip();
    crc.update(b);
    return crc.getValue();
  }

  /** CRC32C of the metadata entries other than the checksums: keys sorted, each key and value followed by a NUL byte, UTF-8. */
  static long metadataChecksum(Map<String, String> metadata) {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    List<String> keys = new ArrayList<>(metadata.keySet());
    Collections.sort(keys);
    for (String k : keys) {
      if (k.equals(KEY_CHECKSUMS)) continue;
      crc.update((k + '\0' + metadata.get(k) + '\0').getBytes(StandardCharsets.UTF_8));
    }
    return crc.getValue();
  }

  private static String hex(long crc) { return String.format("%08x", crc); }

  /** IEEE half precision (F16) to float, exactly (subnormals, infinities and NaN included). */
  static float f16ToFloat(short bits) {
    int h = bits & 0xffff, e = (h >>> 10) & 0x1f, m = h & 0x3ff;
    float v = e == 0 ? m * 0x1p-24f : e == 31 ? (m == 0 ? Float.POSITIVE_INFINITY : Float.NaN) : Float.intBitsToFloat(((e + 112) << 23) | (m << 13));
    return (h & 0x8000) != 0 ? -v : v;
  }

  /** bfloat16 (the upper half of a float32) to float, exactly. */
  static float bf16ToFloat(short bits) { return Float.intBitsToFloat((bits & 0xffff) << 16); }

  /** A tensor's place in the data: width bytes per element (4: F32; 2: F16, or BF16 when bf16). */
  private record Slot(String name, int[] shape, long begin, long end, int width, boolean bf16) {}

  private static Slot slot(Path path, String name, JsonNode v, long dataLen, boolean halves) throws IOException {
    if (!v.isObject()) throw bad(path, "entry '" + name + "' is not an object with dtype, shape and data_offsets");
    for (Iterator<String> k = v.fieldNames(); k.hasNext(); ) {
      String key = k.next();
      if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets"))
        throw bad(path, "entry '" + name + "' has an unexpected key '" + key + "'");
    }
    JsonNode dt = v.get("dtype"), sh = v.get("shape"), off = v.get("data_offsets");
    if (dt == null || !dt.isTextual()) throw bad(path, "tensor '" + name + "' has no dtype string");
    String dtype = dt.textValue();
    boolean half = halves && (dtype.equals("F16") || dtype.equals("BF16"));
    if (!dtype.equals("F32") && !half)
      throw bad(path, "tensor '" + name + "' has dtype " + dtype + (halves ? "; jnn reads F32, F16 and BF16 tensors (convert it, e.g. tensor.float())"
          : "; jnn reads F32 (float32) tensors only (convert it, e.g. tensor.float())"));
    int width = half ? 2 : 4;
    if (sh == null || !sh.isArray()) throw bad(path, "tensor '" + name + "' has no shape array");
    int[] shape = new int[sh.size()];
    long numel = 1;
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = sh.get(i);
      if (!d.isIntegralNumber() || !d.canConvertToInt() || d.intValue() < 0)
        throw bad(path, "tensor '" + name + "' has an invalid dimension " + d + " in shape " + sh);
      shape[i] = d.intValue();
      numel *= shape[i];
      if (numel > Integer.MAX_VALUE) throw bad(path, "tensor '" + name + "' with shape " + sh + " has more than 2^31-1 elements");
    }
    if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).isIntegralNumber() || !off.get(1).isIntegralNumber()
        || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong())
      throw bad(path, "tensor '" + name + "' needs data_offsets [begin, end] (two integers), got " + off);
    long b = off.get(0).longValue(), e = off.get(1).longValue();
    if (b < 0 || e < b) throw bad(path, "tensor '" + name + "' has invalid data_offsets [" + b + ", " + e + "]");
    if (e > dataLen)
      throw bad(path, "tensor '" + name + "' data_offsets [" + b + ", " + e + "] go beyond the " + dataLen + " bytes of data in the file (truncated file?)");
    if (e - b != width * numel)
      throw bad(path, "tensor '" + name + "' with shape " + sh + " needs " + width * numel + " bytes of " + dtype + " data but data_offsets [" + b + ", " + e
          + "] hold " + (e - b));
    return new Slot(name, shape, b, e, width, dtype.equals("BF16"));
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long pos, Path path) throws IOException {
    while (b.hasRemaining()) {
      int r = ch.read(b, pos + b.position());
      if (r < 0) throw bad(path, "unexpected end of file at byte " + (pos + b.position()));
    }
    b.flip();
  }

  static IOException bad(Path path, String problem) { return new IOException(path + ": " + problem); }
}
