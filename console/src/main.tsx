/** Entry point of the operator console: renders the app into #app. */
import { render } from 'preact';
import { App } from './app';

const root = document.getElementById('app');
if (root !== null) {
  root.replaceChildren();
  render(<App />, root);
}
