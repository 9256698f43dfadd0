// Style sheets are imported for esbuild to bundle into main.css; they export nothing.
declare module '*.css';
