package dev.jnn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.nn.BatchNorm2d;
import dev.jnn.nn.Conv2d;
import dev.jnn.nn.Dense;
import dev.jnn.nn.Dropout;
import dev.jnn.nn.Flatten;
import dev.jnn.nn.MaxPool2d;
import dev.jnn.nn.ReLU;
import dev.jnn.optim.Adam;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.Model;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged checkpoints: thousands of mutations of a saved model (bit flips in the length, the
 * header and the data, truncations, appended bytes, edited offsets, dtypes, shapes, names and
 * metadata, swapped data blocks). Each either loads a model identical to the original (saving it
 * again gives the original file, byte for byte) or fails with an IOException naming the file;
 * nothing else escapes, and no change to a tensor's bytes loads.
 */
class CheckpointFuzzTest {
  private static final int CASES = 3000;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private enum Kind { LENGTH_FLIP, HEADER_FLIP, DATA_FLIP, TRUNCATE, APPEND, OFFSETS, DTYPE, SHAPE, RENAME, METADATA, SWAP_DATA }

  /** A file split into its header JSON and data. */
  private record Parts(ObjectNode header, byte[] data) {}

  private static Parts parse(byte[] file) throws IOException {
    long n = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    ObjectNode h = (ObjectNode) JSON.readTree(new String(file, 8, (int) n, StandardCharsets.UTF_8));
    return new Parts(h, Arrays.copyOfRange(file, 8 + (int) n, file.length));
  }

  private static byte[] assemble(ObjectNode header, byte[] data) throws IOException {
    byte[] json = JSON.writeValueAsBytes(header);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer b = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(padded).put(json);
    for (int i = json.length; i < padded; i++) b.put((byte) ' ');
    return b.put(data).array();
  }

  private static List<String> tensorNames(ObjectNode h) {
    List<String> names = new ArrayList<>();
    for (Iterator<String> it = h.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!k.equals("__metadata__")) names.add(k);
    }
    return names;
  }

  private static void flipBits(byte[] b, int from, int to, SplittableRandom r) {
    int flips = 1 + r.nextInt(3);
    for (int i = 0; i < flips; i++) {
      int at = from + r.nextInt(to - from);
      b[at] ^= (byte) (1 << r.nextInt(8));
    }
  }

  /** The original file with one kind of damage. */
  private static byte[] mutate(byte[] orig, Kind kind, SplittableRandom r) throws IOException {
    byte[] b = orig.clone();
    int headerEnd = 8 + (int) ByteBuffer.wrap(orig, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    Parts p = parse(orig);
    List<String> names = tensorNames(p.header());
    ObjectNode t = (ObjectNode) p.header().get(names.get(r.nextInt(names.size())));
    switch (kind) {
      case LENGTH_FLIP -> flipBits(b, 0, 8, r);
      case HEADER_FLIP -> flipBits(b, 8, headerEnd, r);
      case DATA_FLIP -> flipBits(b, headerEnd, b.length, r);
      case TRUNCATE -> b = Arrays.copyOf(b, r.nextInt(b.length));
      case APPEND -> {
        b = Arrays.copyOf(b, b.length + 1 + r.nextInt(16));
        for (int i = orig.length; i < b.length; i++) b[i] = (byte) r.nextInt(256);
      }
      case OFFSETS -> {
        ArrayNode off = (ArrayNode) t.get("data_offsets");
        long delta = r.nextBoolean() ? 4L * (1 + r.nextInt(4)) * (r.nextBoolean() ? 1 : -1) : r.nextInt(8) - 4;
        int which = r.nextInt(3);
        if (which != 1) off.set(0, off.get(0).longValue() + delta);
        if (which != 0) off.set(1, off.get(1).longValue() + delta);
        b = assemble(p.header(), p.data());
      }
      case DTYPE -> {
        String[] dtypes = {"F16", "BF16", "F64", "I32", "U8", "f32", ""};
        t.put("dtype", dtypes[r.nextInt(dtypes.length)]);
        b = assemble(p.header(), p.data());
      }
      case SHAPE -> {
        ArrayNode s = (ArrayNode) t.get("shape");
        int choice = r.nextInt(3);
        if (choice == 0 && s.size() > 1) {          // same elements, dimensions permuted or merged
          JsonNode first = s.remove(0);
          s.add(first);
          if (s.get(0).equals(s.get(s.size() - 1))) s.set(0, s.get(0).intValue() * s.get(1).intValue()).remove(1);
        } else if (choice == 1) {
          s.add(1);                                 // an extra unit dimension: same bytes
        } else if (s.size() > 0) {
          int i = r.nextInt(s.size());
          s.set(i, s.get(i).intValue() + (r.nextBoolean() ? 1 : -1));
        } else {
          s.add(2);
        }
        b = assemble(p.header(), p.data());
      }
      case RENAME -> {                              // two tensors of the same shape exchange names, or one is renamed
        String a = names.get(r.nextInt(names.size()));
        String other = null;
        for (String n : names) if (!n.equals(a) && p.header().get(n).get("shape").equals(p.header().get(a).get("shape"))) other = n;
        ObjectNode h = JSON.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = p.header().fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          String k = e.getKey().equals(a) ? (other != null ? other : a + "x") : other != null && e.getKey().equals(other) ? a : e.getKey();
          h.set(k, e.getValue());
        }
        b = assemble(h, p.data());
      }
      case METADATA -> {                            // one character of one metadata value changed
        ObjectNode m = (ObjectNode) p.header().get("__metadata__");
        List<String> keys = new ArrayList<>();
        m.fieldNames().forEachRemaining(keys::add);
        String k = keys.get(r.nextInt(keys.size()));
        char[] v = m.get(k).textValue().toCharArray();
        int i = r.nextInt(v.length);
        v[i] = Character.isDigit(v[i]) ? (char) ('0' + (v[i] - '0' + 1 + r.nextInt(9)) % 10) : (char) (v[i] ^ 1);
        m.put(k, new String(v));
        b = assemble(p.header(), p.data());
      }
      case SWAP_DATA -> {                           // the bytes of two tensors of the same size exchanged, header unchanged
        String a = names.get(r.nextInt(names.size())), c = null;
        long size = size(p.header(), a);
        for (String n : names) if (!n.equals(a) && size(p.header(), n) == size && !sameBytes(p, a, n)) c = n;
        if (c == null) return mutate(orig, Kind.DATA_FLIP, r);
        byte[] d = p.data().clone();
        long oa = p.header().get(a).get("data_offsets").get(0).longValue(), oc = p.header().get(c).get("data_offsets").get(0).longValue();
        System.arraycopy(p.data(), (int) oa, d, (int) oc, (int) size);
        System.arraycopy(p.data(), (int) oc, d, (int) oa, (int) size);
        b = Arrays.copyOf(orig, orig.length);
        System.arraycopy(d, 0, b, headerEnd, d.length);
      }
    }
    return b;
  }

  private static long size(ObjectNode h, String name) {
    JsonNode off = h.get(name).get("data_offsets");
    return off.get(1).longValue() - off.get(0).longValue();
  }

  private static boolean sameBytes(Parts p, String a, String c) {
    long oa = p.header().get(a).get("data_offsets").get(0).longValue(), oc = p.header().get(c).get("data_offsets").get(0).longValue();
    int n = (int) size(p.header(), a);
    return Arrays.equals(p.data(), (int) oa, (int) oa + n, p.data(), (int) oc, (int) oc + n);
  }

  private static Model trained() {
    Model m = Model.sequential(new Conv2d(1, 4, 3), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2), new Flatten(), new Dropout(0.1),
        new Dense(36, 5)).init(7).to(Device.CPU);
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(1e-3).build());
    SplittableRandom r = new SplittableRandom(3);
    float[] x = new float[16 * 64], y = new float[16];
    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble(-1, 1);
    for (int i = 0; i < y.length; i++) y[i] = r.nextInt(5);
    m.trainOnBatch(Tensor.of(Device.CPU, x, 16, 1, 8, 8), Tensor.of(Device.CPU, y, 16, 1));
    return m;
  }

  @Test
  void everyMutationLoadsTheOriginalOrFailsWithAnIOException() throws IOException {
    Path orig = dir.resolve("orig.safetensors"), resaved = dir.resolve("resaved.safetensors");
    trained().save(orig);
    byte[] bytes = Files.readAllBytes(orig);
    Model.load(orig).save(resaved);   // the identity check itself: an undamaged file saves back to the same bytes
    assertArrayEquals(bytes, Files.readAllBytes(resaved), "load + save reproduces the file");

    Kind[] kinds = Kind.values();
    Map<Kind, int[]> outcome = new LinkedHashMap<>();   // {loaded identical, rejected}
    SplittableRandom r = new SplittableRandom(2024);
    Path file = dir.resolve("damaged.safetensors");
    for (int i = 0; i < CASES; i++) {
      Kind kind = kinds[i % kinds.length];
      byte[] damaged = mutate(bytes, kind, r);
      Files.write(file, damaged);
      int[] o = outcome.computeIfAbsent(kind, k -> new int[2]);
      Model m;
      try {
        m = Model.load(file);
      } catch (IOException e) {
        assertTrue(e.getMessage() != null && e.getMessage().contains(file.toString()), "case " + i + " (" + kind + "): the message names the file: " + e);
        if (kind == Kind.DATA_FLIP || kind == Kind.SWAP_DATA)
          assertTrue(e.getMessage().contains("fails its CRC32C checksum"), "case " + i + " (" + kind + "): " + e.getMessage());
        o[1]++;
        continue;
      } catch (RuntimeException | Error e) {
        throw new AssertionError("case " + i + " (" + kind + "): " + e + " escaped instead of an IOException", e);
      }
      m.save(resaved);
      assertTrue(Arrays.equals(bytes, Files.readAllBytes(resaved)), "case " + i + " (" + kind + "): the damaged file loaded a different model");
      o[0]++;
    }
    int total = 0;
    for (int[] o : outcome.values()) total += o[0] + o[1];
    assertEquals(CASES, total);
    int[] data = outcome.get(Kind.DATA_FLIP);
    assertEquals(0, data[0], "no flipped data byte loads");
    StringBuilder sb = new StringBuilder("checkpoint fuzz: ");
    outcome.forEach((k, o) -> sb.append(k).append(' ').append(o[1]).append(" rejected, ").append(o[0]).append(" loaded identical; "));
    System.out.println(sb);
  }

  @Test
  void filesWithoutChecksumsStillLoad() throws IOException {
    Path orig = dir.resolve("orig.safetensors"), plain = dir.resolve("plain.safetensors");
    Model m = trained();
    m.save(orig);
    Parts p = parse(Files.readAllBytes(orig));
    ((ObjectNode) p.header().get("__metadata__")).remove(SafeTensors.KEY_CHECKSUMS);   // as another tool writes it
    Files.write(plain, assemble(p.header(), p.data()));
    SafeTensors.Contents c = SafeTensors.read(plain);
    assertTrue(!c.verified());
    assertTrue(SafeTensors.read(orig).verified());
    float[] a = Model.load(plain).to(Device.CPU).predict(Tensor.zeros(Device.CPU, 2, 1, 8, 8)).toArray();
    float[] b = m.predict(Tensor.zeros(Device.CPU, 2, 1, 8, 8)).toArray();
    assertArrayEquals(b, a);
  }

  @Test
  void aMismatchNamesTheTensorAndTheFile() throws IOException {
    Path f = dir.resolve("m.safetensors");
    trained().save(f);
    byte[] b = Files.readAllBytes(f);
    Parts p = parse(b);
    JsonNode w = p.header().get("6.weight");
    int at = b.length - p.data().length + (int) w.get("data_offsets").get(0).longValue() + 5;
    b[at] ^= 0x10;
    Files.write(f, b);
    IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> Model.load(f));
    assertTrue(e.getMessage().startsWith(f + ": tensor '6.weight' fails its CRC32C checksum (stored "), e.getMessage());
  }
}
