package dev.jnn.io;

import dev.jnn.nn.Bert;
import dev.jnn.nn.Layer;
import dev.jnn.nn.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Loads a Hugging Face BERT state dict (a {@code model.safetensors} of {@code BertModel} or
 * {@code BertForPreTraining}, float32) into a {@link Bert} and, optionally, a
 * {@link dev.jnn.nn.BertPooler}. The names map as follows (an optional {@code bert.} prefix is
 * dropped; older {@code gamma}/{@code beta} LayerNorm names are accepted as weight/bias):
 *
 * <table>
 *   <caption>Hugging Face BERT name to jnn name</caption>
 *   <tr><th>Hugging Face</th><th>jnn (under the Bert layer)</th></tr>
 *   <tr><td>embeddings.word_embeddings.weight</td><td>embeddings.word_embeddings.weight</td></tr>
 *   <tr><td>embeddings.position_embeddings.weight</td><td>embeddings.position_embeddings.weight</td></tr>
 *   <tr><td>embeddings.token_type_embeddings.weight</td><td>embeddings.token_type_embeddings.weight</td></tr>
 *   <tr><td>embeddings.LayerNorm.weight / bias</td><td>embeddings.LayerNorm.weight / bias</td></tr>
 *   <tr><td>encoder.layer.i.attention.self.query / key / value .weight (d, d)</td>
 *       <td>encoder.layers.i.self_attn.in_proj_weight rows [0, d), [d, 2d), [2d, 3d)</td></tr>
 *   <tr><td>encoder.layer.i.attention.self.query / key / value .bias</td><td>encoder.layers.i.self_attn.in_proj_bias, likewise</td></tr>
 *   <tr><td>encoder.layer.i.attention.output.dense</td><td>encoder.layers.i.self_attn.out_proj</td></tr>
 *   <tr><td>encoder.layer.i.attention.output.LayerNorm</td><td>encoder.layers.i.norm1</td></tr>
 *   <tr><td>encoder.layer.i.intermediate.dense</td><td>encoder.layers.i.linear1</td></tr>
 *   <tr><td>encoder.layer.i.output.dense</td><td>encoder.layers.i.linear2</td></tr>
 *   <tr><td>encoder.layer.i.output.LayerNorm</td><td>encoder.layers.i.norm2</td></tr>
 *   <tr><td>pooler.dense.weight / bias</td><td>dense.weight / bias of the BertPooler</td></tr>
 * </table>
 *
 * Linear weights keep PyTorch's (out, in) layout, so nothing is transposed. Tensors the model
 * lacks a place for (the pre-training heads, {@code embeddings.position_ids}) are reported, not
 * loaded; a tensor the model needs but the file lacks, or one of another shape, is an error
 * naming both, and nothing is changed.
 *
 * <pre>{@code
 * Bert bert = Bert.builder(30522).build();                       // bert-base-uncased's sizes
 * BertPooler pooler = new BertPooler(768);
 * HuggingFaceBert.Report r = HuggingFaceBert.load(Path.of("model.safetensors"), bert, pooler);
 * System.out.println(r.unused());                                 // e.g. cls.predictions.* of a pre-training checkpoint
 * }</pre>
 */
public final class HuggingFaceBert {
  private HuggingFaceBert() {}

  /** What a load used and what it left: file tensors not mapped to the model. */
  public record Report(int loaded, List<String> unused) {}

  /** Loads the file into bert (and pooler, when not null); see the class comment for the mapping. */
  public static Report load(Path file, Bert bert, Layer pooler) throws IOException {
    SafeTensors.Contents c = SafeTensors.read(file);
    Map<String, SafeTensors.Entry> in = new LinkedHashMap<>();
    for (Map.Entry<String, SafeTensors.Entry> e : c.tensors().entrySet()) {
      String n = e.getKey().startsWith("bert.") ? e.getKey().substring(5) : e.getKey();
      n = n.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias");
      in.put(n, e.getValue());
    }
    Map<Parameter, float[]> values = new LinkedHashMap<>();
    Set<String> used = new LinkedHashSet<>();
    Map<String, Parameter> mine = bert.namedParameters();
    int d = bert.config().hidden();
    for (Map.Entry<String, Parameter> e : mine.entrySet()) {
      String n = e.getKey();
      Parameter p = e.getValue();
      if (n.contains(".self_attn.in_proj_")) {
        String layer = n.substring("encoder.layers.".length(), n.indexOf(".self_attn"));
        String kind = n.endsWith("weight") ? "weight" : "bias";
        float[] v = new float[p.size()];
        int per = v.length / 3;
        String[] parts = {"query", "key", "value"};
        for (int i = 0; i < 3; i++) {
          String hf = "encoder.layer." + layer + ".attention.self." + parts[i] + "." + kind;
          float[] part = take(file, in, hf, kind.equals("weight") ? new int[] {d, d} : new int[] {d}, used);
          System.arraycopy(part, 0, v, i * per, per);
        }
        values.put(p, v);
      } else {
        values.put(p, take(file, in, hfName(n), p.value().shape(), used));
      }
    }
    if (pooler != null)
      for (Map.Entry<String, Parameter> e : pooler.namedParameters().entrySet())
        values.put(e.getValue(), take(file, in, "pooler." + e.getKey(), e.getValue().value().shape(), used));
    for (Map.Entry<Parameter, float[]> e : values.entrySet()) e.getKey().value().copyFrom(e.getValue(), 0);   // everything checked: now change the model
    List<String> unused = new ArrayList<>();
    for (String n : in.keySet()) if (!used.contains(n)) unused.add(n);
    return new Report(values.size(), unused);
  }

  /** The Hugging Face name of a jnn parameter path under Bert (the in_proj parameters excepted). */
  static String hfName(String jnn) {
    if (!jnn.startsWith("encoder.layers.")) return jnn;
    String rest = jnn.substring("encoder.layers.".length());
    int dot = rest.indexOf('.');
    String i = rest.substring(0, dot), p = rest.substring(dot + 1);
    String base = "encoder.layer." + i + ".";
    if (p.startsWith("self_attn.out_proj.")) return base + "attention.output.dense." + p.substring("self_attn.out_proj.".length());
    if (p.startsWith("norm1.")) return base + "attention.output.LayerNorm." + p.substring(6);
    if (p.startsWith("linear1.")) return base + "intermediate.dense." + p.substring(8);
    if (p.startsWith("linear2.")) return base + "output.dense." + p.substring(8);
    if (p.startsWith("norm2.")) return base + "output.LayerNorm." + p.substring(6);
    return base + p;
  }

  private static float[] take(Path file, Map<String, SafeTensors.Entry> in, String name, int[] shape, Set<String> used) throws IOException {
    SafeTensors.Entry e = in.get(name);
    if (e == null) throw SafeTensors.bad(file, "tensor '" + name + "' is missing (Hugging Face BERT name; the file has " + in.size() + " tensors)");
    if (!java.util.Arrays.equals(e.shape(), shape))
      throw SafeTensors.bad(file, "tensor '" + name + "' has shape " + java.util.Arrays.toString(e.shape()) + " but the model needs "
          + java.util.Arrays.toString(shape));
    used.add(name);
    return e.data();
  }
}
