/**
 * The basemap under a UDF's layers: online raster tiles (OpenStreetMap unless the user set another
 * URL) when they load, else by itself the bundled offline basemap, with a note saying why.
 *
 * The online URL is a window preference (localStorage), so a test can point it at a local server.
 */

import L from 'leaflet';
import { BundledBasemap, type BasemapTheme } from './bundled-basemap.js';

export type BasemapChoice = 'auto' | 'offline';
export type BasemapShown = 'online' | 'offline';

export interface BasemapState {
  choice: BasemapChoice;
  shown: BasemapShown;
  /** Why the offline basemap shows although online tiles were asked for. */
  note: string | null;
}

export const DEFAULT_ONLINE_URL = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';
const URL_KEY = 'udf-studio.basemap.url';
const CHOICE_KEY = 'udf-studio.basemap.choice';
const OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright" target="_blank" rel="noopener">OpenStreetMap</a> contributors';
const OFFLINE_ATTRIBUTION = 'Natural Earth · places © <a href="https://www.geonames.org" target="_blank" rel="noopener">GeoNames</a> (CC BY 4.0)';

/** The online tile URL template ({z}/{x}/{y}); must be http(s). */
export function onlineUrl(): string {
  const stored = localStorage.getItem(URL_KEY);
  return stored && /^https?:\/\/.*\{z\}.*\{x\}.*\{y\}/.test(stored) ? stored : DEFAULT_ONLINE_URL;
}

/** Sets the online URL (empty: back to OpenStreetMap); throws on a template without {z}, {x}, {y}. */
export function setOnlineUrl(url: string): void {
  const trimmed = url.trim();
  if (trimmed === '') {
    localStorage.removeItem(URL_KEY);
    return;
  }
  if (!/^https?:\/\//.test(trimmed)) throw new Error('the tile URL must start with http:// or https://');
  if (!/\{z\}.*\{x\}.*\{y\}/.test(trimmed)) throw new Error('the tile URL must hold {z}, {x} and {y}, in that order');
  localStorage.setItem(URL_KEY, trimmed);
}

/** Owns the basemap layer of one map and swaps it as the choice and the network allow. */
export class BasemapSwitch {
  private layer: L.Layer | null = null;
  private opacity = 1;
  private state: BasemapState;

  constructor(private readonly map: L.Map, private readonly pane: string, private readonly onState: (state: BasemapState) => void, private theme: BasemapTheme = 'light') {
    const choice: BasemapChoice = localStorage.getItem(CHOICE_KEY) === 'offline' ? 'offline' : 'auto';
    this.state = { choice, shown: 'offline', note: null };
    this.choose(choice);
    this.setTheme(theme);
  }

  choose(choice: BasemapChoice): void {
    localStorage.setItem(CHOICE_KEY, choice);
    if (choice === 'offline') this.showOffline(choice, null);
    else if (!navigator.onLine) this.showOffline(choice, 'This machine is offline: showing the bundled basemap.');
    else this.showOnline();
  }

  /** Dark: the bundled basemap in its dark colours, online tiles inverted (the pane's class). */
  setTheme(theme: BasemapTheme): void {
    this.theme = theme;
    this.map.getPane(this.pane)?.classList.toggle('dark-basemap', theme === 'dark');
    if (this.layer instanceof BundledBasemap) this.layer.setTheme(theme);
  }

  setOpacity(opacity: number): void {
    this.opacity = opacity;
    (this.layer as L.GridLayer | null)?.setOpacity(opacity);
  }

  private showOnline(): void {
    const url = onlineUrl();
    const layer = L.tileLayer(url, {
      maxZoom: 19,
      pane: this.pane,
      opacity: this.opacity,
      className: 'online-basemap',
      attribution: url === DEFAULT_ONLINE_URL ? OSM_ATTRIBUTION : `Tiles: ${new URL(url.replace(/[{}]/g, '')).host}`,
    });
    let loaded = 0;
    layer.on('tileload', () => loaded++);
    // Tiles that fail before any has loaded mean no network (or a wrong URL): fall back at once.
    layer.on('tileerror', () => {
      if (loaded === 0 && this.layer === layer) this.showOffline('auto', `${new URL(url.replace(/[{}]/g, '')).host} did not answer: showing the bundled basemap.`);
    });
    this.swap(layer, { choice: 'auto', shown: 'online', note: null });
  }

  private showOffline(choice: BasemapChoice, note: string | null): void {
    this.swap(new BundledBasemap({ pane: this.pane, opacity: this.opacity, attribution: OFFLINE_ATTRIBUTION }, this.theme), { choice, shown: 'offline', note });
  }

  private swap(layer: L.Layer, state: BasemapState): void {
    if (this.layer) this.map.removeLayer(this.layer);
    this.layer = layer.addTo(this.map);
    this.state = state;
    this.onState(state);
  }

  remove(): void {
    if (this.layer) this.map.removeLayer(this.layer);
    this.layer = null;
  }
}
