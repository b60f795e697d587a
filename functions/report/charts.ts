import { initWasm, Resvg } from '@resvg/resvg-wasm';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { chartAssets, readChartAsset } from '../runtime/chartAssets.ts';

/**
 * Charts are Vega-Lite specs drawn to SVG by Vega (no browser) and to PNG by resvg: mail clients
 * run no scripts and many show no SVG, so every chart is an inline PNG. resvg runs as
 * WebAssembly, the same on every machine, so the Lambda needs no binary built for its CPU (and
 * synth no download of one). It draws no text without fonts: the DejaVu TTF ships with it.
 */
export const chartFont = 'DejaVu Sans';

let resvg: Promise<Uint8Array> | undefined;

/** resvg's WebAssembly compiled once per process, and the font read once. */
function ready(): Promise<Uint8Array> {
  resvg ??= initWasm(readChartAsset(chartAssets.wasm)).then(() => readChartAsset(chartAssets.font));
  return resvg;
}

export async function drawChart(spec: TopLevelSpec, zoom = 2): Promise<Buffer> {
  const font = await ready();
  const view = new vega.View(
    vega.parse(
      compile({ ...spec, config: { font: chartFont, view: { stroke: null }, ...spec.config } } as TopLevelSpec).spec,
    ),
    { renderer: 'none' },
  );
  const svg = await view.toSVG();
  view.finalize();
  const renderer = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: zoom },
    font: { fontBuffers: [font], loadSystemFonts: false, defaultFontFamily: chartFont },
  });
  const image = renderer.render();
  const png = image.asPng();
  // WebAssembly memory is not garbage-collected: each is freed once read.
  image.free();
  renderer.free();
  return Buffer.from(png);
}

/** An x axis of YYYY-MM months labelled "Oct 26". */
export const monthAxis = { labelAngle: 0, labelExpr: "timeFormat(toDate(datum.value + '-15'), '%b %y')" } as const;
