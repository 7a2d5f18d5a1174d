// First: it takes the session key out of the address bar before the app's hash router reads it.
import { adoptOfferedKey } from './api/session-key.js';
import { mount } from 'svelte';
import App from './App.svelte';
import { applyTheme } from './state/theme.svelte.js';
import './styles.css';

applyTheme();
void adoptOfferedKey().then(() => mount(App, { target: document.getElementById('app') as HTMLElement }));
