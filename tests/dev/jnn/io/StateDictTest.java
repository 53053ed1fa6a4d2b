package dev.jnn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.nn.BatchNorm1d;
import dev.jnn.nn.Dense;
import dev.jnn.train.Model;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * loadStateDict on files whose bytes this test lays out itself, as PyTorch's
 * {@code safetensors.torch.save_file} does: an 8-byte little-endian header length, the JSON
 * header, the tensors' little-endian data; F32, F16 and BF16 with known bit patterns.
 */
class StateDictTest {
  @TempDir Path dir;

  /** One tensor: name, dtype, shape, raw little-endian bytes. */
  private record T(String name, String dtype, int[] shape, byte[] data) {}

  private static byte[] f32(float... v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) b.putFloat(x);
    return b.array();
  }

  private static byte[] u16(int... v) {
    ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int x : v) b.putShort((short) x);
    return b.array();
  }

  private Path file(String name, T... ts) throws IOException {
    StringBuilder h = new StringBuilder("{");
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    for (T t : ts) {
      if (h.length() > 1) h.append(',');
      StringBuilder shape = new StringBuilder();
      for (int d : t.shape()) shape.append(shape.length() == 0 ? "" : ",").append(d);
      h.append('"').append(t.name()).append("\":{\"dtype\":\"").append(t.dtype()).append("\",\"shape\":[").append(shape).append("],\"data_offsets\":[")
          .append(data.size()).append(',').append(data.size() + t.data().length).append("]}");
      data.write(t.data());
    }
    h.append('}');
    byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer out = ByteBuffer.allocate(8 + header.length + data.size()).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(header.length).put(header).put(data.toByteArray());
    Path p = dir.resolve(name);
    Files.write(p, out.array());
    return p;
  }

  private static Model model() { return Model.sequential(new Dense(2, 3), new BatchNorm1d(3), new Dense(3, 1)); }

  /** The five tensors of model() except "2.bias", in three dtypes. */
  private T[] mostTensors() {
    return new T[] {
        // F16: 1.0, -2.0, 0.333251953125 (0x3555), 2^-24 (smallest subnormal), 65504 (largest normal), -0.0
        new T("0.weight", "F16", new int[] {3, 2}, u16(0x3C00, 0xC000, 0x3555, 0x0001, 0x7BFF, 0x8000)),
        // BF16: 1.0, -5.0, 0.333984375 (0x3EAB)
        new T("0.bias", "BF16", new int[] {3}, u16(0x3F80, 0xC0A0, 0x3EAB)),
        new T("1.weight", "F32", new int[] {3}, f32(0.5f, 1.5f, 2.5f)),
        new T("1.bias", "F32", new int[] {3}, f32(0.1f, 0.2f, 0.3f)),
        new T("1.running_mean", "F32", new int[] {3}, f32(-1f, 0f, 1f)),
        new T("1.running_var", "BF16", new int[] {3}, u16(0x4000, 0x4080, 0x3F00)),   // 2, 4, 0.5
        new T("2.weight", "F16", new int[] {1, 3}, u16(0x7C00, 0xFC00, 0x3800)),       // +inf, -inf, 0.5
    };
  }

  @Test
  void loadsByNameWideningHalfPrecisionExactly() throws IOException {
    T[] ts = mostTensors();
    T[] all = java.util.Arrays.copyOf(ts, ts.length + 1);
    all[ts.length] = new T("2.bias", "F32", new int[] {1}, f32(7f));
    Model m = model();
    StateDict.Report r = m.loadStateDict(file("all.safetensors", all), true);
    assertEquals(8, r.loaded().size());
    assertTrue(r.missing().isEmpty() && r.unexpected().isEmpty(), r.toString());
    assertArrayEquals(new float[] {1f, -2f, 0.333251953125f, 0x1p-24f, 65504f, -0f}, m.namedParameters().get("0.weight").value().toArray());
    assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(m.namedParameters().get("0.weight").value().toArray()[5]), "the sign of -0");
    assertArrayEquals(new float[] {1f, -5f, 0.333984375f}, m.namedParameters().get("0.bias").value().toArray());
    assertArrayEquals(new float[] {2f, 4f, 0.5f}, m.network().buffers().get("1.running_var").toArray());
    assertArrayEquals(new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0.5f}, m.namedParameters().get("2.weight").value().toArray());
    assertArrayEquals(new float[] {7f}, m.namedParameters().get("2.bias").value().toArray());
  }

  @Test
  void strictNamesMissingAndUnexpectedAndChangesNothing() throws IOException {
    T[] ts = mostTensors();
    T[] withExtra = java.util.Arrays.copyOf(ts, ts.length + 1);
    withExtra[ts.length] = new T("head.weight", "F32", new int[] {1}, f32(3f));
    Path p = file("extra.safetensors", withExtra);
    Model m = model();
    float[] before = m.namedParameters().get("0.weight").value().toArray();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.loadStateDict(p, true));
    assertTrue(e.getMessage().contains("missing from the file: 2.bias") && e.getMessage().contains("unexpected") && e.getMessage().contains("head.weight"),
        e.getMessage());
    assertArrayEquals(before, m.namedParameters().get("0.weight").value().toArray(), "nothing loaded");

    StateDict.Report r = m.loadStateDict(p, false);
    assertEquals(List.of("2.bias"), r.missing());
    assertEquals(List.of("head.weight"), r.unexpected());
    assertEquals(7, r.loaded().size());
    assertArrayEquals(new float[] {1f, -5f, 0.333984375f}, m.namedParameters().get("0.bias").value().toArray());
  }

  @Test
  void aShapeThatDiffersIsAlwaysAnError() throws IOException {
    Path p = file("shape.safetensors", new T("0.weight", "F32", new int[] {2, 3}, f32(1, 2, 3, 4, 5, 6)));
    Model m = model();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.loadStateDict(p, false));
    assertTrue(e.getMessage().contains("0.weight (file [2, 3], model [3, 2])"), e.getMessage());
  }

  @Test
  void otherDtypesAndBadSizesAreFileErrors() throws IOException {
    Path f64 = file("f64.safetensors", new T("0.bias", "F64", new int[] {1}, new byte[8]));
    IOException e = assertThrows(IOException.class, () -> model().loadStateDict(f64, false));
    assertTrue(e.getMessage().contains("dtype F64") && e.getMessage().contains("F16 and BF16"), e.getMessage());
    Path shortHalf = file("short.safetensors", new T("0.bias", "F16", new int[] {3}, u16(1, 2)));
    IOException s = assertThrows(IOException.class, () -> model().loadStateDict(shortHalf, false));
    assertTrue(s.getMessage().contains("needs 6 bytes of F16 data"), s.getMessage());
    Path half = file("ckpt.safetensors", new T("0.bias", "F16", new int[] {3}, u16(1, 2, 3)));
    IOException c = assertThrows(IOException.class, () -> SafeTensors.read(half));
    assertTrue(c.getMessage().contains("F32 (float32) tensors only"), "checkpoints stay F32: " + c.getMessage());
  }
}
