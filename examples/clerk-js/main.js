// Clerk's custom email or phone OTP flow, in vanilla JavaScript, with @clerk/clerk-js from npm.
// The only otp-server specifics are the two values below, injected at build time by run.sh (with
// Vite they would come from a .env file the same way): the publishable key, which names the
// Frontend API's host, and the proxy URL where that API is served.
import { Clerk } from '@clerk/clerk-js'

const pubKey = import.meta.env.VITE_CLERK_PUBLISHABLE_KEY
const proxyUrl = import.meta.env.VITE_CLERK_PROXY_URL

const clerk = new Clerk(pubKey, { proxyUrl })
await clerk.load({ telemetry: false })
// For the end-to-end test and the browser console.
window.clerk = clerk

const sections = ['signed-in', 'sign-up', 'sign-in', 'verifying']
function show(id) {
  for (const s of sections) document.getElementById(s).hidden = s !== id
}

function showError(err) {
  // A ClerkAPIResponseError carries the API's errors, with their codes.
  const first = err.errors?.[0]
  document.getElementById('error').textContent = first
    ? `${first.code}: ${first.longMessage ?? first.message}`
    : String(err)
}

function clearError() {
  document.getElementById('error').textContent = ''
}

function showSignedIn() {
  const user = clerk.user
  document.getElementById('identifier').textContent =
    user.primaryPhoneNumber?.phoneNumber ?? user.primaryEmailAddress?.emailAddress ?? ''
  document.getElementById('user-id').textContent = user.id
  show('signed-in')
}

const isEmail = (identifier) => identifier.includes('@')

// What the verify form completes: a sign-up or a sign-in, by phone or by email.
let pending = null

// Sign-up: create with the identifier, send a code, then verify it.
document.getElementById('sign-up-form').addEventListener('submit', async (e) => {
  e.preventDefault()
  clearError()
  const identifier = new FormData(e.target).get('identifier').trim()
  try {
    if (isEmail(identifier)) {
      await clerk.client.signUp.create({ emailAddress: identifier })
      await clerk.client.signUp.prepareEmailAddressVerification()
    } else {
      await clerk.client.signUp.create({ phoneNumber: identifier })
      await clerk.client.signUp.preparePhoneNumberVerification()
    }
    pending = { flow: 'sign-up', email: isEmail(identifier) }
    show('verifying')
  } catch (err) {
    showError(err)
  }
})

// Sign-in: create with the identifier, pick the code factor, send a code, then verify it.
document.getElementById('sign-in-form').addEventListener('submit', async (e) => {
  e.preventDefault()
  clearError()
  const identifier = new FormData(e.target).get('identifier').trim()
  try {
    const { supportedFirstFactors } = await clerk.client.signIn.create({ identifier })
    const strategy = isEmail(identifier) ? 'email_code' : 'phone_code'
    const factor = supportedFirstFactors.find((f) => f.strategy === strategy)
    if (strategy === 'phone_code') {
      await clerk.client.signIn.prepareFirstFactor({ strategy, phoneNumberId: factor.phoneNumberId })
    } else {
      await clerk.client.signIn.prepareFirstFactor({ strategy, emailAddressId: factor.emailAddressId })
    }
    pending = { flow: 'sign-in', strategy }
    show('verifying')
  } catch (err) {
    showError(err)
  }
})

document.getElementById('verifying').addEventListener('submit', async (e) => {
  e.preventDefault()
  clearError()
  const code = document.getElementById('code').value.trim()
  try {
    let attempt
    if (pending.flow === 'sign-up') {
      attempt = pending.email
        ? await clerk.client.signUp.attemptEmailAddressVerification({ code })
        : await clerk.client.signUp.attemptPhoneNumberVerification({ code })
    } else {
      attempt = await clerk.client.signIn.attemptFirstFactor({ strategy: pending.strategy, code })
    }
    if (attempt.status === 'complete') {
      await clerk.setActive({ session: attempt.createdSessionId })
      document.getElementById('code').value = ''
      showSignedIn()
    } else {
      document.getElementById('error').textContent = `Not complete: ${attempt.status}`
    }
  } catch (err) {
    showError(err)
  }
})

document.getElementById('sign-out').addEventListener('click', async () => {
  // With a callback, signOut stays on this page instead of navigating to /.
  await clerk.signOut(() => show('sign-up'))
})
document.getElementById('show-sign-in').addEventListener('click', () => show('sign-in'))
document.getElementById('show-sign-up').addEventListener('click', () => show('sign-up'))

if (clerk.isSignedIn) {
  showSignedIn()
} else {
  show('sign-up')
}
