// Small DOM helpers the views share.

export const $ = (id) => document.getElementById(id);

/** Sets an element's text only when it differs, so a render that changes nothing does not make a live
 *  region speak again. */
export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** An error's message in its element, or the element hidden when there is none. */
export function showError(id, error) {
  const element = $(id);
  element.hidden = !error;
  setText(element, error ? error.message || String(error) : "");
}

/** A fresh copy of a `<template>`'s content (index.html), in this document, ready to fill in. */
export function fromTemplate(id) {
  return document.importNode($(id).content, true);
}
