package dev.jnn.profile;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * The PNG bar chart of {@link ProfileReport#writeLayerChart}: one horizontal stacked bar per layer
 * (forward, backward, update), ms per step. Drawn with JFreeChart, an optional dependency of
 * jnn (the jnn command has it): without it on the classpath, writing a chart throws
 * {@link IllegalStateException} naming the artifact to add.
 */
final class LayerChart {
  private LayerChart() {}

  /** The Maven coordinates of the library the chart needs. */
  static final String ARTIFACT = "org.jfree:jfreechart:1.5.6";

  static void write(ProfileReport r, Path file, int width, int height) throws IOException {
    if (width < 100 || height < 100) throw new IllegalArgumentException("layer chart: " + width + "x" + height + " px is too small (at least 100x100)");
    try {
      Class.forName("org.jfree.chart.JFreeChart", false, LayerChart.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      throw new IllegalStateException("writeLayerChart needs JFreeChart, an optional dependency of jnn that is not on the classpath: add " + ARTIFACT
          + " to your project (the table and the Chrome trace need nothing more)", e);
    }
    Render.write(r, file, width, height);
  }

  /** The JFreeChart calls, in a class of their own so that LayerChart loads without JFreeChart. */
  private static final class Render {
    private Render() {}

    static void write(ProfileReport r, Path file, int width, int height) throws IOException {
      System.setProperty("java.awt.headless", System.getProperty("java.awt.headless", "true"));
      double per = Math.max(r.steps(), 1);
      DefaultCategoryDataset ds = new DefaultCategoryDataset();
      List<ProfileReport.LayerStats> rows = r.chartRows();
      for (ProfileReport.LayerStats s : rows) {
        String label = s.layer() + "  " + s.description();
        ds.addValue(s.forwardNs() / per * 1e-6, "forward", label);
        ds.addValue(s.backwardNs() / per * 1e-6, "backward", label);
        ds.addValue(s.updateNs() / per * 1e-6, "optimizer update", label);
      }
      String title = String.format(Locale.ROOT, "Time per layer, %s on %s%s", r.steps() > 0 ? "ms per training step" : "ms in total", r.device(),
          r.steps() > 0 ? String.format(Locale.ROOT, " (%d steps, mean step %.2f ms)", r.steps(), r.stepNs() / per * 1e-6) : "");
      JFreeChart chart = ChartFactory.createStackedBarChart(title, null, "ms", ds, PlotOrientation.HORIZONTAL, true, false, false);
      chart.setBackgroundPaint(Color.WHITE);
      chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
      CategoryPlot plot = chart.getCategoryPlot();
      plot.setBackgroundPaint(Color.WHITE);
      plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
      BarRenderer br = (BarRenderer) plot.getRenderer();
      br.setBarPainter(new StandardBarPainter());
      br.setShadowVisible(false);
      br.setSeriesPaint(0, new Color(0x4C72B0));
      br.setSeriesPaint(1, new Color(0xDD8452));
      br.setSeriesPaint(2, new Color(0x55A868));
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) Files.createDirectories(parent);
      ChartUtils.saveChartAsPNG(file.toFile(), chart, width, height);
    }
  }
}
