import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Charts are Vega-Lite specs drawn to SVG by Vega (no browser) and to PNG by resvg: mail clients
 * run no scripts and many show no SVG, so every chart is an inline PNG. resvg draws no text
 * without fonts, so the DejaVu TTF ships with the package (and with the Lambda bundle).
 */
export const chartFont = 'DejaVu Sans';
const fontFile = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');

export async function drawChart(spec: TopLevelSpec, zoom = 2): Promise<Buffer> {
  const view = new vega.View(vega.parse(compile({ ...spec, config: { font: chartFont, view: { stroke: null }, ...spec.config } } as TopLevelSpec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { fitTo: { mode: 'zoom', value: zoom }, font: { fontFiles: [fontFile], loadSystemFonts: false, defaultFontFamily: chartFont } }).render().asPng();
  return Buffer.from(png);
}

/** An x axis of YYYY-MM months labelled "Oct 26". */
export const monthAxis = { labelAngle: 0, labelExpr: "timeFormat(toDate(datum.value + '-15'), '%b %y')" } as const;
