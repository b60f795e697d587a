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

/**
 * Charts are designed at the CSS size they are shown, not scaled down from a desktop drawing:
 * 343 px is the column of a 375 px phone (the e-mail's 16 px padding each side), so text set at
 * 12 px reads as 12 px there, and the chart keeps that size in the 600 px e-mail (docs/design.md,
 * "Constraints that shape the code").
 */
export const chartWidth = 343;

/** Every chart is drawn at twice its CSS size, sharp on the 2× screens of phones. */
export const chartPixelRatio = 2;

/** Text sizes in CSS px: 11 px is the smallest a phone reader is asked to read. */
const textPx = { label: 12, title: 13 } as const;

/**
 * The colours of a chart, chosen to read on the card in both colour schemes: the PNG has no
 * background, so the white card shows through in light mode and the dark card in dark mode,
 * and clients that darken a message by force (Gmail's and Outlook's apps, which ignore
 * prefers-color-scheme and drop <picture>) get no white box either. The grey keeps about 4:1
 * against #ffffff and against the dark card #151b23; the blue over 3:1 against both.
 */
export const chartInk = {
  text: '#7b8088',
  grid: '#7b8088',
  line: '#2f81f7',
  target: '#2da44e',
  band: { warning: '#d29922', critical: '#f85149' },
} as const;

/** A drawn chart: the PNG at chartPixelRatio, and what the e-mail needs to show it at its CSS size. */
export interface Chart {
  png: Buffer;
  /** CSS px: the <img> width and height attributes. */
  width: number;
  height: number;
  /** The smallest font size in the drawing, in CSS px at that width; null when it draws no text. */
  textPx: number | null;
}

/** What resvg is told for every chart: the zoom to chartPixelRatio and the one font that ships. */
type ResvgOptions = NonNullable<ConstructorParameters<typeof Resvg>[1]>;

let resvg: Promise<ResvgOptions> | undefined;

/** resvg's WebAssembly compiled once per process, the font read once and its options built once. */
function ready(): Promise<ResvgOptions> {
  resvg ??= initWasm(readChartAsset(chartAssets.wasm)).then(() => ({
    fitTo: { mode: 'zoom', value: chartPixelRatio },
    font: { fontBuffers: [readChartAsset(chartAssets.font)], loadSystemFonts: false, defaultFontFamily: chartFont },
  }));
  return resvg;
}

/** The look every chart shares: transparent, the font that ships, text no smaller than a phone can read. */
const chartConfig = {
  font: chartFont,
  background: 'transparent',
  view: { stroke: null },
  axis: {
    labelFontSize: textPx.label,
    titleFontSize: textPx.label,
    labelColor: chartInk.text,
    titleColor: chartInk.text,
    domainColor: chartInk.grid,
    tickColor: chartInk.grid,
    gridColor: chartInk.grid,
    gridOpacity: 0.3,
  },
  legend: { labelFontSize: textPx.label, titleFontSize: textPx.label, labelColor: chartInk.text },
  title: { fontSize: textPx.title, color: chartInk.text, anchor: 'start' },
} as const;

/** The chart as SVG, the whole drawing (title, axes, legend) fitted to the spec's width and height. */
export async function chartSvg(spec: TopLevelSpec): Promise<string> {
  const config = { ...chartConfig, ...spec.config };
  const fitted = { autosize: { type: 'fit', contains: 'padding' }, ...spec, config } as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(fitted).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** The smallest font size an SVG sets, or null when it has no text. */
export function smallestText(svg: string): number | null {
  const sizes = [...svg.matchAll(/font-size[:=]\s*"?([\d.]+)px/g)].map((m) => Number(m[1]));
  return sizes.length ? Math.min(...sizes) : null;
}

export async function drawChart(spec: TopLevelSpec): Promise<Chart> {
  const options = await ready();
  const svg = await chartSvg(spec);
  const size = (name: string) => Number(new RegExp(`<svg[^>]* ${name}="([\\d.]+)"`).exec(svg)?.[1]);
  const renderer = new Resvg(svg, options);
  const image = renderer.render();
  const png = image.asPng();
  // WebAssembly memory is not garbage-collected: each is freed once read.
  image.free();
  renderer.free();
  return { png: Buffer.from(png), width: size('width'), height: size('height'), textPx: smallestText(svg) };
}

/**
 * An x axis of YYYY-MM months labelled "Oct 26": every third month counted back from the last,
 * so the period itself is always named and five labels fit a phone's width.
 */
export function monthAxis(months: string[]) {
  return {
    labelAngle: 0,
    values: months.filter((_, i) => (months.length - 1 - i) % 3 === 0),
    labelExpr: "timeFormat(toDate(datum.value + '-15'), '%b %y')",
  } as const;
}

/** Round ticks over [low, high], about `count` of them, and the domain widened to the outer ones. */
export function axisTicks(low: number, high: number, count = 4): { domain: [number, number]; ticks: number[] } {
  const top = high > low ? high : low + 1;
  const scale = vega.scale('linear')().domain([low, top]).nice(count);
  const [from, to] = scale.domain() as [number, number];
  return { domain: [from, to], ticks: scale.ticks(count) as number[] };
}

/** A Vega expression naming each tick by its label: the labels are written here, not by d3-format ("0k"). */
export function tickLabelExpr(ticks: number[], label: (value: number) => string): string {
  return `${ticks.map((t) => `datum.value === ${t} ? ${JSON.stringify(label(t))} : `).join('')}''`;
}

const minus = '\u2212';

/** 1200 → "1.2k", 3400000 → "3.4M", 0 → "0": short enough for a phone's y axis. */
export function compactTick(value: number): string {
  const size = Math.abs(value);
  const [scaled, suffix] = size >= 1e6 ? [size / 1e6, 'M'] : size >= 1e3 ? [size / 1e3, 'k'] : [size, ''];
  const digits = String(Number(scaled.toFixed(2)));
  return `${value < 0 ? minus : ''}${digits}${suffix}`;
}

/** Each currency's sign, found once per process: an Intl.NumberFormat costs far more to build than to use. */
const currencySigns = new Map<string, string>();

/** The currency's own sign ("€", "$", "£"), or its code and a space where it has none ("CHF "). */
function currencySign(currency: string): string {
  let sign = currencySigns.get(currency);
  if (sign === undefined) {
    const symbol =
      new Intl.NumberFormat('en', { style: 'currency', currency, currencyDisplay: 'narrowSymbol' })
        .formatToParts(0)
        .find((p) => p.type === 'currency')?.value ?? currency;
    sign = /^[A-Za-z]+$/.test(symbol) ? `${symbol} ` : symbol;
    currencySigns.set(currency, sign);
  }
  return sign;
}

/** A money tick in the report's currency: "€0", "€500", "€12k", "€1.2M", "−€3.5k". */
export function moneyTick(value: number, currency: string): string {
  const short = compactTick(value);
  return short.startsWith(minus)
    ? `${minus}${currencySign(currency)}${short.slice(1)}`
    : `${currencySign(currency)}${short}`;
}
