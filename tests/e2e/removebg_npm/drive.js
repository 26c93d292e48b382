// The published npm client `remove.bg` (unmodified), pointed at BASE_URL: the one change is the
// host of its endpoint, made where it sends requests (unirest.post), not in its files.
// usage: BASE_URL=http://127.0.0.1:3000 [OPTIONS='{"scale": "50%"}'] node drive.js <file|base64|url> <apiKey> <path|base64|url>
// OPTIONS: more of the client's own options; keep_image: print the result's base64, not its length
const unirest = require("unirest");
const post = unirest.post;
unirest.post = (url) => post(url.replace("https://api.remove.bg", process.env.BASE_URL));
const removebg = require("remove.bg");

const [mode, apiKey, source] = process.argv.slice(2);
const { keep_image: keepImage, ...more } = JSON.parse(process.env.OPTIONS || "{}");
const options = { apiKey, size: "preview", type: "product", ...more };
const call = {
  file: () => removebg.removeBackgroundFromImageFile({ ...options, path: source }),
  base64: () => removebg.removeBackgroundFromImageBase64({ ...options, base64img: source }),
  url: () => removebg.removeBackgroundFromImageUrl({ ...options, url: source }),
}[mode];
call().then(
  (result) =>
    console.log(JSON.stringify({ ok: true, ...result, base64img: keepImage ? result.base64img : result.base64img.length })),
  (errors) => console.log(JSON.stringify({ ok: false, errors })),
);
