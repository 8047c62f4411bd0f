/** Entry point of the operator console: renders the app into #app. */
import { render } from 'preact';

function App() {
  return <main><h1>Device Registry console</h1></main>;
}

const root = document.getElementById('app');
if (root !== null) {
  root.replaceChildren();
  render(<App />, root);
}
